package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"skep/internal/poll"
)

// How long a network's removal is retried: the engine refuses while tasks
// that were stopped still hold endpoints on it, which lasts seconds.
var (
	networkPollEvery = time.Second
	// deployNetworkWait is short: an old network left over is harmless,
	// and the next deploy removes it.
	deployNetworkWait = 30 * time.Second
	removeNetworkWait = time.Minute
)

// prune removes what the stack created and no longer needs: configs and
// secrets of older contents (their names carry the hash) and networks the
// file dropped. The services are read again, since converging changed
// them; an object any service still uses, even one of another owner, is
// kept, as the engine would refuse it anyway.
func prune(ctx context.Context, mgr client.APIClient, st *Stack, sw *swarmState, res *DeployResult, report func(string)) error {
	svcs, err := allServices(ctx, mgr)
	if err != nil {
		return fmt.Errorf("stack %s: %w", st.Name, err)
	}
	used := usage(svcs)
	keep := map[string]bool{}
	for _, kind := range []string{"config", "secret"} {
		for _, n := range stackObjectNames(kind, st) {
			keep[kind+" "+n] = true
		}
	}
	for _, n := range st.Networks {
		keep["network "+n.Name] = true
	}
	for _, name := range keys(sw.configs) {
		c := sw.configs[name]
		if !ofStack(c.Spec.Labels, st.Name) || keep["config "+name] || len(used.users("config", name, c.ID)) > 0 {
			continue
		}
		if err := mgr.ConfigRemove(ctx, c.ID); err != nil && !client.IsErrNotFound(err) {
			return fmt.Errorf("remove config %s of stack %s (no service uses it): %w", name, st.Name, err)
		}
		report("removed config " + name + " (no longer used)")
	}
	for _, name := range keys(sw.secrets) {
		s := sw.secrets[name]
		if !ofStack(s.Spec.Labels, st.Name) || keep["secret "+name] || len(used.users("secret", name, s.ID)) > 0 {
			continue
		}
		if err := mgr.SecretRemove(ctx, s.ID); err != nil && !client.IsErrNotFound(err) {
			return fmt.Errorf("remove secret %s of stack %s (no service uses it): %w", name, st.Name, err)
		}
		report("removed secret " + name + " (no longer used)")
	}
	for _, name := range keys(sw.networks) {
		n := sw.networks[name]
		if !ofStack(n.Labels, st.Name) || n.Scope != "swarm" || keep["network "+name] {
			continue
		}
		if users := used.users("network", name, n.ID); len(users) > 0 {
			res.Kept = append(res.Kept, fmt.Sprintf("network %s: no longer in the file, but services %s use it", name, strings.Join(users, ", ")))
			continue
		}
		err := removeNetwork(ctx, mgr, name, n.ID, deployNetworkWait)
		var timeout *poll.TimeoutError
		switch {
		case errors.As(err, &timeout):
			res.Kept = append(res.Kept, fmt.Sprintf("network %s: no longer in the file, but %v", name, err))
			report("kept network " + name + " for now: tasks still hold endpoints on it; the next deploy removes it")
		case err != nil:
			return err
		default:
			report("removed network " + name + " (no longer in the file)")
		}
	}
	return nil
}

// removeNetwork removes a network, retrying while the tasks of removed or
// updated services shut down and leave it. Gone already counts as removed.
// It goes by ID: a node's local network may have the same name.
func removeNetwork(ctx context.Context, mgr client.APIClient, name, id string, within time.Duration) error {
	err := poll.Until(ctx, "network "+name+" removed", networkPollEvery, within, func(ctx context.Context) error {
		err := mgr.NetworkRemove(ctx, id)
		if err == nil || client.IsErrNotFound(err) {
			return nil
		}
		return err
	})
	var te *poll.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%w (docker network inspect %s shows what is still attached)", err, name)
	}
	return err
}
