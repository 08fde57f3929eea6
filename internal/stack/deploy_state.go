package stack

import (
	"context"
	"fmt"
	"sort"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// swarmState is what the swarm holds that a deploy compares the stack with.
// Everything is listed whole and filtered here: a deploy needs objects of
// other owners too (external networks, configs and secrets, and every
// service that might use what the stack would remove).
type swarmState struct {
	networks map[string]network.Summary // by name
	configs  map[string]swarm.Config    // by name
	secrets  map[string]swarm.Secret    // by name
	services []swarm.Service
}

func readSwarm(ctx context.Context, mgr client.APIClient) (*swarmState, error) {
	s := &swarmState{networks: map[string]network.Summary{}, configs: map[string]swarm.Config{}, secrets: map[string]swarm.Secret{}}
	nets, err := mgr.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range nets {
		// A local network may share a swarm network's name; services
		// join the swarm one, so that one is what counts.
		if old, ok := s.networks[n.Name]; !ok || old.Scope != "swarm" {
			s.networks[n.Name] = n
		}
	}
	cfgs, err := mgr.ConfigList(ctx, swarm.ConfigListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list configs: %w", err)
	}
	for _, c := range cfgs {
		s.configs[c.Spec.Name] = c
	}
	secs, err := mgr.SecretList(ctx, swarm.SecretListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	for _, x := range secs {
		s.secrets[x.Spec.Name] = x
	}
	if s.services, err = allServices(ctx, mgr); err != nil {
		return nil, err
	}
	return s, nil
}

// allServices lists every service of the swarm, of any owner, by name: pruning
// must know what anything still uses.
func allServices(ctx context.Context, mgr client.APIClient) ([]swarm.Service, error) {
	svcs, err := mgr.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	// By name, so changes and reports come in the same order every time.
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Spec.Name < svcs[j].Spec.Name })
	return svcs, nil
}

// inUse is what the swarm's services refer to, by name and by ID: the
// engine refuses to remove a config, secret or network a service uses, so
// the stack's leftovers are removed only when no service, of any owner,
// uses them.
type inUse map[string][]string // "kind name" or "kind ID" -> services using it

func usage(svcs []swarm.Service) inUse {
	u := inUse{}
	add := func(kind, key, svc string) {
		if key != "" {
			u[kind+" "+key] = append(u[kind+" "+key], svc)
		}
	}
	for _, s := range svcs {
		t := s.Spec.TaskTemplate
		//nolint:staticcheck // services made by old clients attach here
		for _, n := range append(append([]swarm.NetworkAttachmentConfig{}, t.Networks...), s.Spec.Networks...) {
			add("network", n.Target, s.Spec.Name)
		}
		if c := t.ContainerSpec; c != nil {
			for _, r := range c.Configs {
				add("config", r.ConfigName, s.Spec.Name)
				add("config", r.ConfigID, s.Spec.Name)
			}
			for _, r := range c.Secrets {
				add("secret", r.SecretName, s.Spec.Name)
				add("secret", r.SecretID, s.Spec.Name)
			}
		}
	}
	return u
}

// users names the services using an object (kind network, config or
// secret) known by name and ID, once each.
func (u inUse) users(kind, name, id string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, u[kind+" "+name]...), u[kind+" "+id]...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ofStack says an object's labels put it in the stack's namespace.
func ofStack(labels map[string]string, name string) bool {
	return labels[LabelNamespace] == name
}
