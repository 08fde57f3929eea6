package apply

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"skep/internal/controller"
	"skep/internal/host"
	"skep/internal/poll"
)

// Controllers before skep's own volume kept their state in
// controller.LegacyStateDir, under the user mount, where any app binding
// the mount could read the private keys (or, with another storage.mount,
// on the local disk of whichever manager ran the controller). apply moves
// such state once into the cluster's ControllerStateDir, with the
// controller stopped so nothing writes meanwhile, and removes the old
// directory.

// legacyCheck prints when the old state directory was last written, if it
// holds a controller's state (an acme directory or a status file: a
// directory of that name holding anything else is not skep's). Bounded:
// the old place may be a stalled mount, which then counts as holding
// nothing this time (the move is planned by the next apply).
var legacyCheck = fmt.Sprintf(`timeout 5 sh -c 'd=%s; if [ -e "$d/acme" ] || [ -e "$d/status.json" ]; then stat -c %%Y "$d/status.json" 2>/dev/null || stat -c %%Y "$d"; fi' || true`,
	controller.LegacyStateDir)

// readLegacyState records manager m's old state directory, if any.
func readLegacyState(ctx context.Context, e *env, m string, st *controllerState) error {
	out, err := e.hosts[m].Sudo(ctx, legacyCheck)
	if err != nil {
		return fmt.Errorf("%s: look for %s: %w", m, controller.LegacyStateDir, err)
	}
	if out = strings.TrimSpace(out); out != "" {
		when, _ := strconv.ParseInt(out, 10, 64)
		if st.legacy == nil {
			st.legacy = map[string]int64{}
		}
		st.legacy[m] = when
	}
	return nil
}

// legacyShared tells whether the old state directory lies on the user
// volume (seen alike by every host) rather than on each host's own disk.
func legacyShared(mount string) bool {
	return strings.HasPrefix(controller.LegacyStateDir+"/", strings.TrimSuffix(mount, "/")+"/")
}

// legacySteps move old state into the state directory: from one manager
// when the old directory is on the shared volume, else from the manager
// whose copy was written last, and then remove the other managers' stale
// copies. The first step stops the controller.
func legacySteps(e *env, st controllerState, w controllerWant) []Step {
	if len(st.legacy) == 0 {
		return nil
	}
	c := e.cluster
	state := c.ControllerStateDir()
	var hosts []string
	for _, m := range w.managers {
		if _, ok := st.legacy[m]; ok {
			hosts = append(hosts, m)
		}
	}
	shared := legacyShared(c.Storage.Mount)
	if shared {
		hosts = hosts[:1]
	} else {
		sort.SliceStable(hosts, func(i, j int) bool { return st.legacy[hosts[i]] > st.legacy[hosts[j]] })
	}
	script := moveStateScript(controller.LegacyStateDir, c.Storage.SystemMount, state)
	var steps []Step
	for i, h := range hosts {
		action := "move the controller's state from " + controller.LegacyStateDir + " to " + state +
			" (copied with its modes, then the old directory removed)"
		if st.exists {
			action = "stop service " + controller.ServiceName + " and " + action
		}
		reason := controller.LegacyStateDir + " is under storage.mount " + c.Storage.Mount + ", which apps bind: any of them could read the private keys"
		if !shared {
			reason = controller.LegacyStateDir + " is on this node's own disk (storage.mount is " + c.Storage.Mount + "), lost with the node and readable by apps that bind it"
		}
		if i > 0 {
			action = "remove the stale controller state " + controller.LegacyStateDir + " (the state in use is " + state + ")"
			reason = "an older controller's account and keys on this node's own disk"
		}
		first, stop := i == 0, st.exists
		steps = append(steps, Step{Host: h, Action: action, Reason: reason, run: func(ctx context.Context) error {
			if first && stop {
				if err := stopController(ctx, e, w); err != nil {
					return err
				}
			}
			_, err := e.hosts[h].Sudo(ctx, script)
			return err
		}})
	}
	return steps
}

// moveStateScript copies the old state into a scratch directory of the
// system volume, then publishes it: everything but the acme directory
// first, the acme directory last in one rename (the commit point: a state
// directory with acme is complete). A run that finds acme already there
// only removes the old directory, so an interrupted move resumes and a
// stale copy never overwrites the state in use. Never onto the directory
// beneath an unmounted volume.
func moveStateScript(old, sysMount, state string) string {
	tmp := path.Join(sysMount, ".controller-moving")
	return fmt.Sprintf(`set -e
old=%[1]s new=%[2]s tmp=%[3]s
findmnt -rn -t fuse.glusterfs --mountpoint %[4]s >/dev/null || { echo "%[4]s is not mounted" >&2; exit 1; }
install -d -m 0700 "$new"
if [ -d "$old" ] && [ ! -e "$new/acme" ]; then
  rm -rf "$tmp"
  install -d -m 0700 "$tmp"
  cp -a "$old/." "$tmp/"
  chmod -R go-rwx "$tmp"
  find "$tmp" -mindepth 1 -maxdepth 1 ! -name acme -exec cp -a {} "$new/" \;
  if [ -e "$tmp/acme" ]; then mv "$tmp/acme" "$new/acme"; fi
fi
rm -rf "$tmp" "$old"
`, host.ShellQuote(old), host.ShellQuote(state), host.ShellQuote(tmp), host.ShellQuote(sysMount))
}

// stopController removes the controller's service and waits until no
// manager runs its container any more, so the old controller cannot
// write while its state moves. The controller step that follows creates
// the service anew.
func stopController(ctx context.Context, e *env, w controllerWant) error {
	_, mgr, err := liveAnchor(ctx, e)
	if err != nil {
		return err
	}
	if err := mgr.ServiceRemove(ctx, controller.ServiceName); err != nil && !client.IsErrNotFound(err) {
		return fmt.Errorf("remove service %s: %w", controller.ServiceName, err)
	}
	f := filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.name="+controller.ServiceName))
	var pending []client.APIClient
	var names []string
	for _, m := range w.managers {
		cli, err := e.hosts[m].Docker(ctx)
		if err != nil {
			continue // unreachable: it cannot be asked (a dead node runs nothing)
		}
		pending, names = append(pending, cli), append(names, m)
	}
	// One minute for all of them, asked in turn: a manager is left once
	// it runs no container of the service.
	return poll.Until(ctx, "the controller's container gone after its service was removed", 500*time.Millisecond, time.Minute, func(ctx context.Context) error {
		for len(pending) > 0 {
			list, err := pending[0].ContainerList(ctx, container.ListOptions{Filters: f})
			if err != nil {
				return fmt.Errorf("%s: %w", names[0], err)
			}
			if len(list) > 0 {
				return fmt.Errorf("%s: container %s still runs", names[0], list[0].ID[:min(12, len(list[0].ID))])
			}
			pending, names = pending[1:], names[1:]
		}
		return nil
	})
}
