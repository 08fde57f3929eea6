package stack

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/mount"
)

// mounts converts a service's volumes. Binds stay binds. A named volume
// that would be a plain local docker volume lives on one node only, and a
// task rescheduled elsewhere would start with an empty one; on a cluster
// with shared storage it becomes a bind of a directory there instead, the
// same path on every node, so the data follows the task.
func (c *converter) mounts(s types.ServiceConfig) ([]mount.Mount, error) {
	var out []mount.Mount
	for _, v := range s.Volumes {
		var (
			m   mount.Mount
			err error
		)
		switch v.Type {
		case types.VolumeTypeBind:
			m, err = c.bindMount(s.Name, v)
		case types.VolumeTypeVolume, "":
			m, err = c.volumeMount(v)
		case types.VolumeTypeTmpfs:
			m, err = tmpfsMount(v)
		case types.VolumeTypeImage:
			m, err = imageMount(v)
		default:
			err = fmt.Errorf("type %s is not supported (bind, volume, tmpfs or image)", v.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("volumes: %s: %w", v.Target, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (c *converter) bindMount(service string, v types.ServiceVolumeConfig) (mount.Mount, error) {
	if !path.IsAbs(v.Source) {
		// A relative path would be resolved on whichever node runs the
		// task, not next to the compose file.
		return mount.Mount{}, fmt.Errorf("bind source %q is not an absolute path", v.Source)
	}
	m := mount.Mount{Type: mount.TypeBind, Source: path.Clean(v.Source), Target: v.Target, ReadOnly: v.ReadOnly,
		Consistency: mount.Consistency(v.Consistency)}
	if v.Bind != nil && v.Bind.Propagation != "" {
		m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(v.Bind.Propagation)}
	}
	switch {
	case c.onStorage(m.Source):
		c.dirs[m.Source] = true
	case dockerSocket(m.Source):
		// The Docker socket is node-local by nature; no data to lose.
	default:
		c.note("service %s binds %s, a node-local path: its data stays on the node if the task moves", service, m.Source)
	}
	return m, nil
}

// onStorage says p is on the cluster's shared storage.
func (c *converter) onStorage(p string) bool {
	if c.opts.StorageMount == "" {
		return false
	}
	root := path.Clean(c.opts.StorageMount)
	return p == root || strings.HasPrefix(p, root+"/")
}

func dockerSocket(p string) bool {
	return p == "/var/run/docker.sock" || p == "/run/docker.sock"
}

func (c *converter) volumeMount(v types.ServiceVolumeConfig) (mount.Mount, error) {
	m := mount.Mount{Type: mount.TypeVolume, Target: v.Target, ReadOnly: v.ReadOnly, Consistency: mount.Consistency(v.Consistency)}
	var opts mount.VolumeOptions
	if v.Volume != nil {
		opts.NoCopy, opts.Subpath = v.Volume.NoCopy, v.Volume.Subpath
	}
	if v.Source == "" {
		// An anonymous volume belongs to one task; docker keeps it as such.
		return m, nil
	}
	cfg, ok := c.p.Volumes[v.Source]
	if !ok {
		return mount.Mount{}, fmt.Errorf("volume %s is not declared under the top-level volumes", v.Source)
	}
	name := c.objectName(v.Source, cfg.Name, bool(cfg.External))
	plainLocal := cfg.Driver == "" || (cfg.Driver == "local" && len(cfg.DriverOpts) == 0)
	switch {
	case bool(cfg.External):
		m.Source, m.VolumeOptions = name, &opts
		return m, nil
	case plainLocal && c.opts.StorageMount != "":
		return c.storageMount(v, name, opts.Subpath)
	case plainLocal:
		c.note("volume %s: a docker volume on each node (the cluster has no shared storage): its data stays on the node if the task moves", v.Source)
	}
	opts.Labels = c.stackLabels(cfg.Labels)
	if cfg.Driver != "" || len(cfg.DriverOpts) > 0 {
		opts.DriverConfig = &mount.Driver{Name: cfg.Driver, Options: cfg.DriverOpts}
	}
	m.Source, m.VolumeOptions = name, &opts
	return m, nil
}

// storageMount binds STORAGE/volumes/NAME in place of the named volume.
// Unlike a fresh docker volume, the bind does not get the image's files at
// the target copied in; the directory starts empty.
func (c *converter) storageMount(v types.ServiceVolumeConfig, name, subpath string) (mount.Mount, error) {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return mount.Mount{}, fmt.Errorf("volume name %q cannot be a directory name", name)
	}
	dir := path.Join(c.opts.StorageMount, "volumes", name)
	c.dirs[dir] = true
	c.note("volume %s: kept on the shared volume at %s", v.Source, dir)
	source := dir
	if subpath != "" {
		clean := path.Clean(subpath)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return mount.Mount{}, fmt.Errorf("volume.subpath %q leaves the volume", subpath)
		}
		source = path.Join(dir, clean)
		c.dirs[source] = true
	}
	return mount.Mount{Type: mount.TypeBind, Source: source, Target: v.Target, ReadOnly: v.ReadOnly}, nil
}

func tmpfsMount(v types.ServiceVolumeConfig) (mount.Mount, error) {
	if v.Source != "" {
		return mount.Mount{}, fmt.Errorf("a tmpfs takes no source (%s)", v.Source)
	}
	m := mount.Mount{Type: mount.TypeTmpfs, Target: v.Target, ReadOnly: v.ReadOnly}
	if v.Tmpfs != nil {
		m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size), Mode: os.FileMode(v.Tmpfs.Mode)}
	}
	return m, nil
}

func imageMount(v types.ServiceVolumeConfig) (mount.Mount, error) {
	if v.Source == "" {
		return mount.Mount{}, fmt.Errorf("an image mount needs a source image")
	}
	m := mount.Mount{Type: mount.TypeImage, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}
	if v.Image != nil && v.Image.SubPath != "" {
		m.ImageOptions = &mount.ImageOptions{Subpath: v.Image.SubPath}
	}
	return m, nil
}
