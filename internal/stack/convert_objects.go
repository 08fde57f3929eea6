package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/swarm"
)

// maxObjectName is the longest name swarm accepts for a config or secret.
const maxObjectName = 64

// fileObject is a config or secret resolved for swarm: its name and data.
type fileObject struct {
	name       string
	data       []byte
	labels     map[string]string
	templating *swarm.Driver
}

func (o fileObject) annotations() swarm.Annotations {
	return swarm.Annotations{Name: o.name, Labels: o.labels}
}

// resolveObject names a config or secret and reads its data. Swarm configs
// and secrets cannot change, so docker stack deploy fails when a file
// changes under a fixed name; the name here ends in the first 12 hex digits
// of the content's SHA-256 instead: a change makes a new object, and the
// services that use it roll to it. The original key stays in labelKey.
func (c *converter) resolveObject(kind, labelKey, key string, o types.FileObjectConfig) (fileObject, error) {
	if o.Driver != "" {
		return fileObject{}, fmt.Errorf("%s %s: driver %s is not supported", kind, key, o.Driver)
	}
	var data []byte
	switch {
	case o.File != "":
		file := o.File
		if !filepath.IsAbs(file) {
			file = filepath.Join(c.p.WorkingDir, file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return fileObject{}, fmt.Errorf("%s %s: %w", kind, key, err)
		}
		data = b
	case o.Environment != "":
		// compose-go copies the variable's value into Content when it is set.
		if _, ok := c.p.Environment[o.Environment]; !ok && o.Content == "" {
			return fileObject{}, fmt.Errorf("%s %s: environment variable %s is not set", kind, key, o.Environment)
		}
		data = []byte(o.Content)
	default:
		data = []byte(o.Content)
	}
	sum := sha256.Sum256(data)
	name := c.objectName(key, o.Name, false) + "-" + hex.EncodeToString(sum[:])[:12]
	if len(name) > maxObjectName {
		return fileObject{}, fmt.Errorf("%s %s: swarm name %s is longer than %d characters; shorten the stack or %s name", kind, key, name, maxObjectName, kind)
	}
	labels := c.stackLabels(o.Labels)
	labels[labelKey] = key
	return fileObject{name: name, data: data, labels: labels}, nil
}

// configs converts every declared config, as docker stack deploy does,
// and records each one's swarm name for the services' references.
func (c *converter) configs() ([]swarm.ConfigSpec, error) {
	c.configNames = map[string]string{}
	objs, err := c.fileObjects("config", LabelConfig, asFileObjects(c.p.Configs, func(o types.ConfigObjConfig) types.FileObjectConfig { return types.FileObjectConfig(o) }), c.configNames)
	var out []swarm.ConfigSpec
	for _, o := range objs {
		out = append(out, swarm.ConfigSpec{Annotations: o.annotations(), Data: o.data, Templating: o.templating})
	}
	return out, err
}

// secrets converts every declared secret like configs. Errors name the
// secret, never its content.
func (c *converter) secrets() ([]swarm.SecretSpec, error) {
	c.secretNames = map[string]string{}
	objs, err := c.fileObjects("secret", LabelSecret, asFileObjects(c.p.Secrets, func(o types.SecretConfig) types.FileObjectConfig { return types.FileObjectConfig(o) }), c.secretNames)
	var out []swarm.SecretSpec
	for _, o := range objs {
		out = append(out, swarm.SecretSpec{Annotations: o.annotations(), Data: o.data, Templating: o.templating})
	}
	return out, err
}

// fileObjects converts configs or secrets (the same shape in compose and
// in swarm): external ones are only named, the others are read and named
// by their content. names gets each one's swarm name.
func (c *converter) fileObjects(kind, labelKey string, objs map[string]types.FileObjectConfig, names map[string]string) ([]fileObject, error) {
	var out []fileObject
	for _, key := range keys(objs) {
		o := objs[key]
		if o.External {
			names[key] = c.objectName(key, o.Name, true)
			continue
		}
		obj, err := c.resolveObject(kind, labelKey, key, o)
		if err != nil {
			return nil, err
		}
		names[key] = obj.name
		if o.TemplateDriver != "" {
			obj.templating = &swarm.Driver{Name: o.TemplateDriver}
		}
		out = append(out, obj)
	}
	return out, nil
}

// asFileObjects views compose's configs or secrets (types defined as
// FileObjectConfig) as that common type.
func asFileObjects[T any](m map[string]T, common func(T) types.FileObjectConfig) map[string]types.FileObjectConfig {
	out := make(map[string]types.FileObjectConfig, len(m))
	for k, v := range m {
		out[k] = common(v)
	}
	return out
}

// fileTarget is where a config or secret appears in the container, with
// docker stack deploy's defaults: named after the source, owned by root,
// mode 0444.
func fileTarget(r types.FileReferenceConfig) (name, uid, gid string, mode os.FileMode) {
	name, uid, gid, mode = r.Target, r.UID, r.GID, 0o444
	if name == "" {
		name = r.Source
	}
	if uid == "" {
		uid = "0"
	}
	if gid == "" {
		gid = "0"
	}
	if r.Mode != nil {
		mode = os.FileMode(*r.Mode)
	}
	return name, uid, gid, mode
}

// configRefs are a service's config references, sorted so the spec does
// not change (and restart the service) with the file's order. The order is
// docker's: by the name docker stack deploy gives each object, without the
// content hash (which could order two names otherwise).
func (c *converter) configRefs(refs []types.ServiceConfigObjConfig) ([]*swarm.ConfigReference, error) {
	var out []*swarm.ConfigReference
	by := map[*swarm.ConfigReference]string{}
	for _, r := range refs {
		name, ok := c.configNames[r.Source]
		if !ok {
			return nil, fmt.Errorf("configs: %s is not declared under the top-level configs", r.Source)
		}
		target, uid, gid, mode := fileTarget(types.FileReferenceConfig(r))
		ref := &swarm.ConfigReference{
			ConfigName: name,
			File:       &swarm.ConfigReferenceFileTarget{Name: target, UID: uid, GID: gid, Mode: mode},
		}
		o := c.p.Configs[r.Source]
		by[ref] = c.objectName(r.Source, o.Name, bool(o.External))
		out = append(out, ref)
	}
	sort.SliceStable(out, func(i, j int) bool { return by[out[i]] < by[out[j]] })
	return out, nil
}

// secretRefs are a service's secret references, ordered as configRefs.
func (c *converter) secretRefs(refs []types.ServiceSecretConfig) ([]*swarm.SecretReference, error) {
	var out []*swarm.SecretReference
	by := map[*swarm.SecretReference]string{}
	for _, r := range refs {
		name, ok := c.secretNames[r.Source]
		if !ok {
			return nil, fmt.Errorf("secrets: %s is not declared under the top-level secrets", r.Source)
		}
		target, uid, gid, mode := fileTarget(types.FileReferenceConfig(r))
		// compose-go spells the default target /run/secrets/SOURCE, where
		// docker stack deploy sends SOURCE (swarm puts a relative name
		// under /run/secrets itself). A target the file gives otherwise
		// goes as written, as docker sends it.
		if target == "/run/secrets/"+r.Source {
			target = r.Source
		}
		ref := &swarm.SecretReference{
			SecretName: name,
			File:       &swarm.SecretReferenceFileTarget{Name: target, UID: uid, GID: gid, Mode: mode},
		}
		o := c.p.Secrets[r.Source]
		by[ref] = c.objectName(r.Source, o.Name, bool(o.External))
		out = append(out, ref)
	}
	sort.SliceStable(out, func(i, j int) bool { return by[out[i]] < by[out[j]] })
	return out, nil
}
