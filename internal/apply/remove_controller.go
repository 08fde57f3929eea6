package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/controller"
	"skep/internal/host"
)

// controllerLeft is what the cluster still holds of the controller.
type controllerLeft struct {
	service bool
	configs []string // roots configs (every version)
	// stateHost is a manager where the controller's state directory
	// exists on the mounted system volume; "" when none was found or it
	// was not looked for (only with RemoveData and a storage section).
	stateHost string
}

// planRemoveController removes the controller once the cluster file no
// longer declares it (it runs with acme and ingress both set): its
// service and its roots configs. Its networks and token are ingress's.
// Its ACME account and certificates stay on skep's own volume unless
// Options.RemoveData.
func planRemoveController(ctx context.Context, e *env) ([]Step, error) {
	if e.cluster.ACME != nil && e.cluster.Ingress != nil {
		return nil, nil
	}
	mgr, err := swarmReader(ctx, e)
	if err != nil {
		return nil, err
	}
	if mgr == nil {
		return nil, nil
	}
	var l controllerLeft
	_, _, err = mgr.ServiceInspectWithRaw(ctx, controller.ServiceName, swarm.ServiceInspectOptions{})
	switch {
	case err == nil:
		l.service = true
	case !client.IsErrNotFound(err):
		return nil, fmt.Errorf("inspect service %s: %w", controller.ServiceName, err)
	}
	if l.configs, err = configNames(ctx, mgr, controller.RootsConfigPrefix); err != nil {
		return nil, err
	}
	if e.opts.RemoveData && e.cluster.Storage != nil {
		if l.stateHost, err = findControllerState(ctx, e); err != nil {
			return nil, err
		}
	}
	return controllerRemovalSteps(e, l), nil
}

// stateCheck prints "yes" when the controller's state directory exists
// on the mounted system volume (never the directory beneath the mount).
func stateCheck(sysMount, dir string) string {
	return fmt.Sprintf("findmnt -rn -t fuse.glusterfs --mountpoint %s >/dev/null && [ -d %s ] && echo yes || true",
		host.ShellQuote(sysMount), host.ShellQuote(dir))
}

// findControllerState names the first manager that sees the controller's
// state on the system volume; "" when none does.
func findControllerState(ctx context.Context, e *env) (string, error) {
	check := stateCheck(e.cluster.Storage.SystemMount, e.cluster.ControllerStateDir())
	for _, m := range e.cluster.Managers() {
		out, err := e.hosts[m.Name].Sudo(ctx, check)
		if err != nil {
			return "", fmt.Errorf("%s: look for %s: %w", m.Name, e.cluster.ControllerStateDir(), err)
		}
		if strings.TrimSpace(out) == "yes" {
			return m.Name, nil
		}
	}
	return "", nil
}

// controllerRemovalSteps is the plan, from what the cluster holds alone
// (tested without a swarm): the service (and, before its state goes, the
// wait until no manager runs it), its configs, then its state.
func controllerRemovalSteps(e *env, l controllerLeft) []Step {
	why := "no acme section in the cluster file"
	if e.cluster.ACME != nil {
		why = "no ingress section in the cluster file (the controller serves certificates through it)"
	}
	anchor := e.cluster.FirstManager().Name
	var managers []string
	for _, m := range e.cluster.Managers() {
		managers = append(managers, m.Name)
	}
	var steps []Step
	if l.service {
		reason := why
		if !e.opts.RemoveData {
			where := "on skep's own volume"
			if dir := e.cluster.ControllerStateDir(); dir != "" {
				where = "in " + dir
			}
			reason += "; its ACME account and certificates stay " + where + " (apply with --remove-data to delete them)"
		}
		steps = append(steps, Step{Host: anchor, Action: "remove service " + controller.ServiceName, Reason: reason,
			run: func(ctx context.Context) error {
				// Waits until its containers are gone, so nothing writes
				// to the state a later step may delete.
				return stopController(ctx, e, controllerWant{managers: managers})
			}})
	}
	for _, c := range l.configs {
		steps = append(steps, clusterStep(e, anchor, "remove swarm config "+c, why, func(ctx context.Context, mgr client.APIClient) error {
			return ignoreNotFound(mgr.ConfigRemove(ctx, c))
		}))
	}
	if e.opts.RemoveData && l.stateHost != "" {
		dir, sysMount := e.cluster.ControllerStateDir(), e.cluster.Storage.SystemMount
		script := fmt.Sprintf("findmnt -rn -t fuse.glusterfs --mountpoint %s >/dev/null || { echo '%s is not mounted' >&2; exit 1; }\nrm -rf -- %s\n",
			host.ShellQuote(sysMount), sysMount, host.ShellQuote(dir))
		steps = append(steps, Step{Host: l.stateHost, Action: "delete the controller's ACME account and certificates in " + dir,
			Reason: why + " and --remove-data",
			run: func(ctx context.Context) error {
				_, err := e.hosts[l.stateHost].Sudo(ctx, script)
				return err
			}})
	}
	return steps
}
