package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/controller"
	"skep/internal/ingress"
	"skep/internal/poll"
)

// ingressLeft is what the swarm still holds of skep's ingress.
type ingressLeft struct {
	services []string // skep's ingress services present, Traefik first
	networks []string // skep's networks present, in ingress.Networks order
	secrets  []string
	configs  []string
	// attached are services other than skep's on the public network:
	// removing the network would cut them off.
	attached []string
}

// planRemoveIngress removes Traefik, the socket proxy and everything
// made for them once the cluster file has no ingress section. It refuses
// while other services are attached to skep's public network. The
// controller (which needs ingress) is removed before this runs.
func planRemoveIngress(ctx context.Context, e *env) ([]Step, error) {
	if e.cluster.Ingress != nil {
		return nil, nil
	}
	mgr, err := swarmReader(ctx, e)
	if err != nil {
		return nil, err
	}
	if mgr == nil {
		return nil, nil
	}
	left, err := readIngressLeft(ctx, mgr)
	if err != nil {
		return nil, err
	}
	return ingressRemovalSteps(e, left)
}

func readIngressLeft(ctx context.Context, mgr client.APIClient) (ingressLeft, error) {
	var l ingressLeft
	for _, name := range []string{ingress.TraefikService, ingress.ProxyService} {
		_, _, err := mgr.ServiceInspectWithRaw(ctx, name, swarm.ServiceInspectOptions{})
		switch {
		case err == nil:
			l.services = append(l.services, name)
		case !client.IsErrNotFound(err):
			return l, fmt.Errorf("inspect service %s: %w", name, err)
		}
	}
	nets, err := mgr.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return l, fmt.Errorf("list networks: %w", err)
	}
	ids := map[string]string{} // name -> ID of the swarm's networks
	for _, n := range nets {
		if n.Scope == "swarm" {
			ids[n.Name] = n.ID
		}
	}
	for _, n := range ingress.Networks() {
		if _, ok := ids[n.Name]; ok {
			l.networks = append(l.networks, n.Name)
		}
	}
	if id, ok := ids[ingress.PublicNetwork]; ok {
		svcs, err := mgr.ServiceList(ctx, swarm.ServiceListOptions{})
		if err != nil {
			return l, fmt.Errorf("list services: %w", err)
		}
		l.attached = attachedTo(svcs, ingress.PublicNetwork, id)
	}
	for _, p := range []string{ingress.UsersSecret, ingress.TokenSecret, ingress.StaticSecretPrefix} {
		names, err := secretNames(ctx, mgr, p)
		if err != nil {
			return l, err
		}
		for _, n := range names {
			// The exact names are prefixes of nothing else of skep's.
			if (p == ingress.StaticSecretPrefix || n == p) && !contains(l.secrets, n) {
				l.secrets = append(l.secrets, n)
			}
		}
	}
	if l.configs, err = traefikConfigs(ctx, mgr); err != nil {
		return l, err
	}
	return l, nil
}

// attachedTo names the services, other than skep's, whose tasks join
// the network (by name or ID).
func attachedTo(svcs []swarm.Service, name, id string) []string {
	skeps := map[string]bool{ingress.TraefikService: true, ingress.ProxyService: true, controller.ServiceName: true}
	var out []string
	for _, s := range svcs {
		if skeps[s.Spec.Name] {
			continue
		}
		nets := append(append([]swarm.NetworkAttachmentConfig{}, s.Spec.TaskTemplate.Networks...), s.Spec.Networks...) //nolint:staticcheck // old specs
		for _, n := range nets {
			if n.Target == name || n.Target == id {
				out = append(out, s.Spec.Name)
				break
			}
		}
	}
	return out
}

// ingressRemovalSteps is the plan, from what the swarm holds alone
// (tested without a swarm): services first (Traefik, then the proxy it
// reads), then the networks once their tasks are gone, then the secrets
// and configs nothing uses any more.
func ingressRemovalSteps(e *env, l ingressLeft) ([]Step, error) {
	if len(l.attached) > 0 {
		return nil, fmt.Errorf("the cluster file has no ingress section, but the services %s are attached to skep's network %s: "+
			"removing ingress would cut them off; detach them (docker service update --network-rm %s SERVICE) or put ingress back, then apply again",
			strings.Join(l.attached, ", "), ingress.PublicNetwork, ingress.PublicNetwork)
	}
	const why = "no ingress section in the cluster file"
	anchor := e.cluster.FirstManager().Name
	var steps []Step
	add := func(action string, run func(ctx context.Context, mgr client.APIClient) error) {
		steps = append(steps, clusterStep(e, anchor, action, why, run))
	}
	for _, s := range l.services {
		add("remove service "+s, func(ctx context.Context, mgr client.APIClient) error {
			return ignoreNotFound(mgr.ServiceRemove(ctx, s))
		})
	}
	for _, n := range l.networks {
		add("remove overlay network "+n, func(ctx context.Context, mgr client.APIClient) error {
			return removeNetwork(ctx, mgr, n)
		})
	}
	for _, s := range l.secrets {
		add("remove swarm secret "+s, func(ctx context.Context, mgr client.APIClient) error {
			return ignoreNotFound(mgr.SecretRemove(ctx, s))
		})
	}
	for _, c := range l.configs {
		add("remove swarm config "+c, func(ctx context.Context, mgr client.APIClient) error {
			return ignoreNotFound(mgr.ConfigRemove(ctx, c))
		})
	}
	return steps, nil
}

// removeNetwork removes a swarm network, retrying for a minute while the
// tasks of just removed services still hold endpoints on it.
func removeNetwork(ctx context.Context, mgr client.APIClient, name string) error {
	err := poll.Until(ctx, "network "+name+" removed", time.Second, time.Minute, func(ctx context.Context) error {
		err := mgr.NetworkRemove(ctx, name)
		if err == nil || client.IsErrNotFound(err) {
			return nil
		}
		return err
	})
	var te *poll.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%w (see: docker network inspect %s, for what is still attached)", err, name)
	}
	return err
}
