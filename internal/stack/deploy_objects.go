package stack

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// createNetworks creates the stack's networks the swarm lacks. preflight
// has checked that those it has are the declared ones.
func createNetworks(ctx context.Context, mgr client.APIClient, st *Stack, sw *swarmState, report func(string)) error {
	for _, n := range st.Networks {
		if have, ok := sw.networks[n.Name]; ok {
			inSwarm, err := inSwarmStore(ctx, mgr, have)
			if err != nil {
				return err
			}
			if inSwarm {
				continue
			}
		}
		if _, err := mgr.NetworkCreate(ctx, n.Name, n.Options); err != nil {
			return fmt.Errorf("create network %s: %w", n.Name, err)
		}
		report("created network " + n.Name)
	}
	return nil
}

// inSwarmStore tells whether a listed network is one the swarm holds. A
// manager's network list also shows the overlays its engine still has
// set up for tasks that are shutting down: right after a stack rm, the
// removed stack network can be listed for a moment, and a service created
// on it fails with "network not found". Inspecting with scope swarm asks
// the swarm's own store. Networks of other scopes are taken as listed.
func inSwarmStore(ctx context.Context, mgr client.APIClient, n network.Summary) (bool, error) {
	if n.Scope != "swarm" {
		return true, nil
	}
	_, err := mgr.NetworkInspect(ctx, n.ID, network.InspectOptions{Scope: "swarm"})
	switch {
	case err == nil:
		return true, nil
	case client.IsErrNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("inspect network %s: %w", n.Name, err)
	}
}

// objectIDs maps "config NAME" and "secret NAME" to the swarm's IDs.
type objectIDs map[string]string

// createObjects creates the stack's configs and secrets the swarm lacks and
// returns the IDs of every config and secret the services use. A name
// carries its content's hash, so one of that name already in the swarm
// holds the same content and is used as it is.
func createObjects(ctx context.Context, mgr client.APIClient, st *Stack, sw *swarmState, report func(string)) (objectIDs, error) {
	ids := objectIDs{}
	for name, c := range sw.configs {
		ids["config "+name] = c.ID
	}
	for name, s := range sw.secrets {
		ids["secret "+name] = s.ID
	}
	for _, c := range st.Configs {
		if ids["config "+c.Name] != "" {
			continue
		}
		resp, err := mgr.ConfigCreate(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("create config %s: %w", c.Name, err)
		}
		ids["config "+c.Name] = resp.ID
		report("created config " + c.Name)
	}
	for _, s := range st.Secrets {
		if ids["secret "+s.Name] != "" {
			continue
		}
		resp, err := mgr.SecretCreate(ctx, s)
		if err != nil {
			// The error names the secret; the engine's message never
			// carries the data.
			return nil, fmt.Errorf("create secret %s: %w", s.Name, err)
		}
		ids["secret "+s.Name] = resp.ID
		report("created secret " + s.Name)
	}
	return ids, nil
}

// withIDs returns spec with its config and secret references carrying the
// swarm's IDs, which the engine requires. The references are copied: the
// Stack keeps names only, so its specs (and their hashes) stay the same
// whatever IDs the swarm gave the objects.
func withIDs(spec swarm.ServiceSpec, ids objectIDs) (swarm.ServiceSpec, error) {
	if spec.TaskTemplate.ContainerSpec == nil {
		return spec, nil
	}
	c := *spec.TaskTemplate.ContainerSpec
	c.Configs = nil
	for _, r := range spec.TaskTemplate.ContainerSpec.Configs {
		r := *r
		if r.ConfigID = ids["config "+r.ConfigName]; r.ConfigID == "" {
			return spec, fmt.Errorf("service %s: config %s is not in the swarm", spec.Name, r.ConfigName)
		}
		c.Configs = append(c.Configs, &r)
	}
	c.Secrets = nil
	for _, r := range spec.TaskTemplate.ContainerSpec.Secrets {
		r := *r
		if r.SecretID = ids["secret "+r.SecretName]; r.SecretID == "" {
			return spec, fmt.Errorf("service %s: secret %s is not in the swarm", spec.Name, r.SecretName)
		}
		c.Secrets = append(c.Secrets, &r)
	}
	spec.TaskTemplate.ContainerSpec = &c
	return spec, nil
}

// stackObjectNames are the names of the configs or secrets (kind) the
// stack creates.
func stackObjectNames(kind string, st *Stack) []string {
	var out []string
	if kind == "config" {
		for _, c := range st.Configs {
			out = append(out, c.Name)
		}
		return out
	}
	for _, s := range st.Secrets {
		out = append(out, s.Name)
	}
	return out
}

// refNames are the names of the configs or secrets (kind) a service uses.
func refNames(kind string, spec swarm.ServiceSpec) []string {
	c := spec.TaskTemplate.ContainerSpec
	if c == nil {
		return nil
	}
	var out []string
	if kind == "config" {
		for _, r := range c.Configs {
			out = append(out, r.ConfigName)
		}
		return out
	}
	for _, r := range c.Secrets {
		out = append(out, r.SecretName)
	}
	return out
}

// has says the swarm holds a config or secret (kind) of that name.
func (s *swarmState) has(kind, name string) bool {
	if kind == "config" {
		_, ok := s.configs[name]
		return ok
	}
	_, ok := s.secrets[name]
	return ok
}
