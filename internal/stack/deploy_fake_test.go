package stack

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// fakeSwarm is a manager's engine holding swarm objects by name. It
// refuses what the engine refuses (a service referring to a missing
// config, secret or network; removing a config, secret or network a
// service uses), so a deploy that gets the order wrong fails its test.
// Methods a test does not expect are not implemented: the nil embedded
// interface makes them panic.
type fakeSwarm struct {
	client.APIClient

	services map[string]*swarm.Service
	networks map[string]network.Summary
	configs  map[string]swarm.Config
	secrets  map[string]swarm.Secret
	// busy is how many more times a network's removal is refused, as
	// while stopped tasks still hold endpoints on it.
	busy map[string]int
	// lingering are overlays the engine still lists for shutting-down
	// tasks though the swarm's store no longer holds them (just after a
	// stack rm).
	lingering []network.Summary
	// calls are the changes asked for, in order ("ServiceUpdate app_web").
	calls []string
	ids   int
}

func newFakeSwarm() *fakeSwarm {
	return &fakeSwarm{services: map[string]*swarm.Service{}, networks: map[string]network.Summary{},
		configs: map[string]swarm.Config{}, secrets: map[string]swarm.Secret{}, busy: map[string]int{}}
}

func (f *fakeSwarm) id() string { f.ids++; return fmt.Sprintf("id%d", f.ids) }

func (f *fakeSwarm) call(what, name string) { f.calls = append(f.calls, what+" "+name) }

var errNotFound = errdefs.NotFound(fmt.Errorf("no such object"))

func (f *fakeSwarm) NetworkList(context.Context, network.ListOptions) ([]network.Summary, error) {
	var out []network.Summary
	for _, n := range f.networks {
		out = append(out, n)
	}
	return append(out, f.lingering...), nil
}

// NetworkInspect answers from the swarm's store, as scope swarm asks.
func (f *fakeSwarm) NetworkInspect(_ context.Context, id string, o network.InspectOptions) (network.Inspect, error) {
	if o.Scope != "swarm" {
		return network.Inspect{}, fmt.Errorf("fake answers scope swarm only, asked %q", o.Scope)
	}
	for _, n := range f.networks {
		if n.ID == id {
			return network.Inspect{Name: n.Name, ID: n.ID, Scope: n.Scope}, nil
		}
	}
	return network.Inspect{}, errNotFound
}

func (f *fakeSwarm) NetworkCreate(_ context.Context, name string, o network.CreateOptions) (network.CreateResponse, error) {
	f.call("NetworkCreate", name)
	if _, ok := f.networks[name]; ok {
		return network.CreateResponse{}, errdefs.Conflict(fmt.Errorf("network with name %s already exists", name))
	}
	n := network.Summary{Name: name, ID: f.id(), Scope: "swarm", Driver: o.Driver, Options: o.Options,
		Internal: o.Internal, Attachable: o.Attachable, Labels: o.Labels}
	f.networks[name] = n
	return network.CreateResponse{ID: n.ID}, nil
}

func (f *fakeSwarm) NetworkRemove(_ context.Context, id string) error {
	for name, n := range f.networks {
		if n.ID != id {
			continue
		}
		f.call("NetworkRemove", name)
		if f.busy[name] > 0 {
			f.busy[name]--
			return errdefs.Forbidden(fmt.Errorf("network %s has active endpoints", name))
		}
		if users := usage(f.list()).users("network", name, id); len(users) > 0 {
			return errdefs.Forbidden(fmt.Errorf("network %s is in use by %v", name, users))
		}
		delete(f.networks, name)
		return nil
	}
	return errNotFound
}

func (f *fakeSwarm) ConfigList(context.Context, swarm.ConfigListOptions) ([]swarm.Config, error) {
	var out []swarm.Config
	for _, c := range f.configs {
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeSwarm) ConfigCreate(_ context.Context, spec swarm.ConfigSpec) (swarm.ConfigCreateResponse, error) {
	f.call("ConfigCreate", spec.Name)
	c := swarm.Config{ID: f.id(), Spec: spec}
	f.configs[spec.Name] = c
	return swarm.ConfigCreateResponse{ID: c.ID}, nil
}

func (f *fakeSwarm) ConfigRemove(_ context.Context, id string) error {
	for name, c := range f.configs {
		if c.ID == id {
			f.call("ConfigRemove", name)
			if users := usage(f.list()).users("config", name, id); len(users) > 0 {
				return errdefs.InvalidParameter(fmt.Errorf("config %s is in use by %v", name, users))
			}
			delete(f.configs, name)
			return nil
		}
	}
	return errNotFound
}

func (f *fakeSwarm) SecretList(context.Context, swarm.SecretListOptions) ([]swarm.Secret, error) {
	var out []swarm.Secret
	for _, s := range f.secrets {
		out = append(out, s)
	}
	return out, nil
}

func (f *fakeSwarm) SecretCreate(_ context.Context, spec swarm.SecretSpec) (swarm.SecretCreateResponse, error) {
	f.call("SecretCreate", spec.Name)
	s := swarm.Secret{ID: f.id(), Spec: spec}
	f.secrets[spec.Name] = s
	return swarm.SecretCreateResponse{ID: s.ID}, nil
}

func (f *fakeSwarm) SecretRemove(_ context.Context, id string) error {
	for name, s := range f.secrets {
		if s.ID == id {
			f.call("SecretRemove", name)
			if users := usage(f.list()).users("secret", name, id); len(users) > 0 {
				return errdefs.InvalidParameter(fmt.Errorf("secret %s is in use by %v", name, users))
			}
			delete(f.secrets, name)
			return nil
		}
	}
	return errNotFound
}
