package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// clusterStep is a change to swarm-wide objects (services, networks,
// configs), logged under anchor and run through whichever manager answers.
func clusterStep(e *env, anchor, action, reason string, run func(ctx context.Context, mgr client.APIClient) error) Step {
	return Step{Host: anchor, Action: action, Reason: reason, run: func(ctx context.Context) error {
		mgr, err := e.manager(ctx)
		if err != nil {
			return err
		}
		return run(ctx, mgr)
	}}
}

// manager is the swarm manager cluster-wide steps go through: whichever
// declared manager answers.
func (e *env) manager(ctx context.Context) (client.APIClient, error) {
	_, mgr, err := liveAnchor(ctx, e)
	return mgr, err
}

// swarmReader is a live manager to read the swarm's objects from. In a
// plan before the swarm exists it is nil, with no error: there is nothing
// to read yet, everything is still to be made.
func swarmReader(ctx context.Context, e *env) (client.APIClient, error) {
	_, mgr, err := liveAnchor(ctx, e)
	if err != nil && !e.opts.Wet {
		return nil, nil
	}
	return mgr, err
}

// ignoreNotFound treats an object already gone as removed.
func ignoreNotFound(err error) error {
	if client.IsErrNotFound(err) {
		return nil
	}
	return err
}

// configNames lists the swarm configs whose names start with prefix, sorted.
// Configs are immutable, so skep names each version by its content and
// this tells which versions exist.
func configNames(ctx context.Context, mgr client.APIClient, prefix string) ([]string, error) {
	configs, err := mgr.ConfigList(ctx, swarm.ConfigListOptions{Filters: filters.NewArgs(filters.Arg("name", prefix))})
	if err != nil {
		return nil, fmt.Errorf("list configs: %w", err)
	}
	var names []string
	for _, c := range configs {
		names = append(names, c.Spec.Name)
	}
	return withPrefix(names, prefix), nil
}

// secretNames lists the swarm secrets whose names start with prefix,
// sorted; like configs, versioned secrets are named by their content.
func secretNames(ctx context.Context, mgr client.APIClient, prefix string) ([]string, error) {
	secrets, err := mgr.SecretList(ctx, swarm.SecretListOptions{Filters: filters.NewArgs(filters.Arg("name", prefix))})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	var names []string
	for _, s := range secrets {
		names = append(names, s.Spec.Name)
	}
	return withPrefix(names, prefix), nil
}

// withPrefix keeps the names that truly start with prefix (the engine's
// name filter matches substrings), sorted.
func withPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
