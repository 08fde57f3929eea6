package stack

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
)

// Labels docker stack deploy puts on a stack's objects. docker stack ls/ps/rm
// find a stack by LabelNamespace alone, so every object skep creates for a
// stack carries it; that is what makes a skep stack a normal swarm stack.
const (
	LabelNamespace = "com.docker.stack.namespace"
	LabelImage     = "com.docker.stack.image"
	// LabelConfig and LabelSecret keep the name a config or secret has in the
	// compose file, since the swarm object's name carries a content hash.
	LabelConfig = "skep.stack.config"
	LabelSecret = "skep.stack.secret"
)

// ConvertOptions are what Convert needs to know about the stack and the
// cluster it goes to.
type ConvertOptions struct {
	// Name is the stack's name, the prefix of every object it owns.
	Name string
	// StorageMount is the cluster's shared volume mount (e.g. /var/data), the
	// same path on every node; "" when the cluster has none.
	StorageMount string
	// IPVS says the nodes' kernels have IPVS; without it swarm's virtual IPs
	// and ingress routing mesh do not work.
	IPVS bool
	// PublicNetwork is the network Traefik reaches routed services on.
	PublicNetwork string
	// RestartDelay is the restart delay of a service that restarts and
	// whose file sets no delay (the cluster file's tuning.restart_delay);
	// nil leaves it unset, as docker stack deploy does, and swarm then
	// waits its own 5 s.
	RestartDelay *time.Duration
}

// NetworkSpec is a network the stack creates.
type NetworkSpec struct {
	Name    string
	Options network.CreateOptions
}

// Stack is a compose project as swarm objects, every list sorted by name so
// two conversions of one file compare equal.
type Stack struct {
	Name     string
	Networks []NetworkSpec
	// ExternalNetworks are networks services join that the stack does not
	// create (external ones and PublicNetwork): they must exist before deploy.
	ExternalNetworks []string
	// Services reference configs and secrets by name only: swarm wants
	// their IDs too, which exist once the objects are created at deploy.
	Services []swarm.ServiceSpec
	Configs  []swarm.ConfigSpec
	Secrets  []swarm.SecretSpec
	// Dirs are directories under StorageMount to create before deploy: swarm
	// fails a task whose bind source is missing rather than creating it.
	Dirs []string
	// Notes say what skep changed or what the user should know, each once.
	Notes []string
}

// converter carries one conversion's inputs and the notes it collects.
type converter struct {
	p     *types.Project
	opts  ConvertOptions
	notes []string
	said  map[string]bool
	dirs  map[string]bool
	// configNames and secretNames map a file's keys to swarm names.
	configNames, secretNames map[string]string
	external                 map[string]bool // names of networks in use the stack does not create
}

// Convert turns a loaded compose project into the swarm objects
// docker stack deploy would create for it, adapted to the cluster: named
// volumes kept on the shared storage, Traefik-routed services joined to the
// public network, DNS round robin where the kernel has no IPVS.
func Convert(p *types.Project, opts ConvertOptions) (*Stack, error) {
	if p == nil {
		return nil, errors.New("no compose project to convert")
	}
	if opts.Name == "" {
		return nil, errors.New("stack name is empty")
	}
	if len(p.Jobs) > 0 {
		return nil, fmt.Errorf("jobs (%s) are not supported by swarm stacks", strings.Join(keys(p.Jobs), ", "))
	}
	c := &converter{p: p, opts: opts, said: map[string]bool{}, dirs: map[string]bool{}, external: map[string]bool{}}
	st := &Stack{Name: opts.Name}

	var err error
	if st.Configs, err = c.configs(); err != nil {
		return nil, err
	}
	if st.Secrets, err = c.secrets(); err != nil {
		return nil, err
	}
	for _, name := range keys(p.Services) {
		s := p.Services[name]
		s.Name = name // the key is the name; a hand-built project may omit it
		spec, err := c.service(s)
		if err != nil {
			return nil, err
		}
		st.Services = append(st.Services, spec)
	}
	if st.Networks, err = c.networks(); err != nil {
		return nil, err
	}
	st.ExternalNetworks = keys(c.external)
	st.Dirs = keys(c.dirs)
	st.Notes = c.notes
	return st, nil
}

// note records a note unless the same words were said already: one volume
// used by three services is reported once.
func (c *converter) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if c.said[s] {
		return
	}
	c.said[s] = true
	c.notes = append(c.notes, s)
}

// scope is the stack-prefixed name docker stack deploy gives an object.
func (c *converter) scope(key string) string { return c.opts.Name + "_" + key }

// objectName resolves a top-level network/volume/config/secret's name.
// compose-go names every resource PROJECT_key unless the file gives a name
// (or the resource is external, then key); a name of exactly that form is
// compose-go's default, so it is rescoped to the stack's name, which may
// differ from the project's.
func (c *converter) objectName(key, declared string, external bool) string {
	switch {
	case external && declared != "":
		return declared
	case external:
		return key
	case declared == "" || declared == c.p.Name+"_"+key:
		return c.scope(key)
	}
	return declared
}

// stackLabels returns labels plus the namespace label, without changing
// labels (compose-go's maps are shared with the project).
func (c *converter) stackLabels(labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[LabelNamespace] = c.opts.Name
	return out
}

// keys returns a map's keys sorted, for deterministic output; nil for an
// empty map, so empty lists in a Stack are nil.
func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
