package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/docker/docker/client"
)

// Remove removes stack name from the swarm as docker stack rm does: every
// object labelled with its namespace, services first (their tasks stop),
// then its configs and secrets, then its networks, retried while the
// stopping tasks still hold endpoints on them. It goes on past a failure,
// so one stuck object does not keep the rest, and returns every error.
// removed names each object removed with its kind ("service app_web").
//
// Remove never touches data on the storage: the stack's volumes are
// directories on the cluster's shared storage, not swarm objects, and they
// stay as they are for a later deploy of the same stack (or for the
// operator to delete by hand).
func Remove(ctx context.Context, mgr client.APIClient, name string, report func(string)) (removed []string, err error) {
	if name == "" {
		return nil, errors.New("remove: the stack name is empty")
	}
	if report == nil {
		report = func(string) {}
	}
	sw, err := readSwarm(ctx, mgr)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", name, err)
	}
	var errs []error
	done := func(kind, obj string, err error) {
		switch {
		case err != nil && !client.IsErrNotFound(err):
			errs = append(errs, fmt.Errorf("remove %s %s of stack %s: %w", kind, obj, name, err))
		case err == nil:
			removed = append(removed, kind+" "+obj)
			report("removed " + kind + " " + obj)
		}
	}
	for _, s := range sw.services {
		if ofStack(s.Spec.Labels, name) {
			done("service", s.Spec.Name, mgr.ServiceRemove(ctx, s.ID))
		}
	}
	for _, n := range keys(sw.configs) {
		if c := sw.configs[n]; ofStack(c.Spec.Labels, name) {
			done("config", n, mgr.ConfigRemove(ctx, c.ID))
		}
	}
	for _, n := range keys(sw.secrets) {
		if s := sw.secrets[n]; ofStack(s.Spec.Labels, name) {
			done("secret", n, mgr.SecretRemove(ctx, s.ID))
		}
	}
	for _, n := range keys(sw.networks) {
		if nw := sw.networks[n]; ofStack(nw.Labels, name) && nw.Scope == "swarm" {
			done("network", n, removeNetwork(ctx, mgr, n, nw.ID, removeNetworkWait))
		}
	}
	if len(removed) == 0 && len(errs) == 0 {
		return nil, noStack(name, sw)
	}
	return removed, errors.Join(errs...)
}

// noStack is the error for a stack the swarm does not have, naming those
// it has, so a typo shows at once.
func noStack(name string, sw *swarmState) error {
	stacks := map[string]bool{}
	add := func(labels map[string]string) {
		if ns := labels[LabelNamespace]; ns != "" {
			stacks[ns] = true
		}
	}
	for _, s := range sw.services {
		add(s.Spec.Labels)
	}
	for _, n := range sw.networks {
		add(n.Labels)
	}
	for _, c := range sw.configs {
		add(c.Spec.Labels)
	}
	for _, s := range sw.secrets {
		add(s.Spec.Labels)
	}
	if len(stacks) == 0 {
		return fmt.Errorf("no stack %s: the swarm has no stacks", name)
	}
	return fmt.Errorf("no stack %s: the swarm's stacks are %s", name, strings.Join(keys(stacks), ", "))
}
