package stack

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/errdefs"
)

// The fake's services: kept by name, with the version index the engine
// checks on update.

func (f *fakeSwarm) list() []swarm.Service {
	var out []swarm.Service
	for _, s := range f.services {
		out = append(out, *s)
	}
	return out
}

func (f *fakeSwarm) ServiceList(context.Context, swarm.ServiceListOptions) ([]swarm.Service, error) {
	return f.list(), nil
}

func (f *fakeSwarm) ServiceInspectWithRaw(_ context.Context, name string, _ swarm.ServiceInspectOptions) (swarm.Service, []byte, error) {
	if s, ok := f.services[name]; ok {
		return *s, nil, nil
	}
	return swarm.Service{}, nil, errNotFound
}

// refsExist is the engine's check of a spec: every config and secret by
// an ID the swarm has under that name, every network by name or ID.
func (f *fakeSwarm) refsExist(spec swarm.ServiceSpec) error {
	for _, r := range spec.TaskTemplate.ContainerSpec.Configs {
		if c, ok := f.configs[r.ConfigName]; !ok || c.ID != r.ConfigID {
			return errdefs.InvalidParameter(fmt.Errorf("config %s (ID %q) not found", r.ConfigName, r.ConfigID))
		}
	}
	for _, r := range spec.TaskTemplate.ContainerSpec.Secrets {
		if s, ok := f.secrets[r.SecretName]; !ok || s.ID != r.SecretID {
			return errdefs.InvalidParameter(fmt.Errorf("secret %s (ID %q) not found", r.SecretName, r.SecretID))
		}
	}
	for _, n := range spec.TaskTemplate.Networks {
		if _, ok := f.networks[n.Target]; !ok {
			return errdefs.InvalidParameter(fmt.Errorf("network %s not found", n.Target))
		}
	}
	return nil
}

func (f *fakeSwarm) ServiceCreate(_ context.Context, spec swarm.ServiceSpec, _ swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error) {
	f.call("ServiceCreate", spec.Name)
	if err := f.refsExist(spec); err != nil {
		return swarm.ServiceCreateResponse{}, err
	}
	s := &swarm.Service{ID: f.id(), Spec: spec, Meta: swarm.Meta{Version: swarm.Version{Index: 1}}}
	f.services[spec.Name] = s
	return swarm.ServiceCreateResponse{ID: s.ID}, nil
}

func (f *fakeSwarm) ServiceUpdate(_ context.Context, id string, v swarm.Version, spec swarm.ServiceSpec, _ swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error) {
	f.call("ServiceUpdate", spec.Name)
	s, ok := f.services[spec.Name]
	switch {
	case !ok || s.ID != id:
		return swarm.ServiceUpdateResponse{}, errNotFound
	case s.Version.Index != v.Index:
		return swarm.ServiceUpdateResponse{}, errdefs.InvalidParameter(fmt.Errorf("update out of sequence"))
	}
	if err := f.refsExist(spec); err != nil {
		return swarm.ServiceUpdateResponse{}, err
	}
	s.Spec, s.Version.Index = spec, s.Version.Index+1
	return swarm.ServiceUpdateResponse{}, nil
}

func (f *fakeSwarm) ServiceRemove(_ context.Context, id string) error {
	for name, s := range f.services {
		if s.ID == id {
			f.call("ServiceRemove", name)
			delete(f.services, name)
			return nil
		}
	}
	return errNotFound
}
