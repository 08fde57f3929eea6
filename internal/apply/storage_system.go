package apply

import (
	"context"
	"fmt"
	"strings"

	"skep/internal/config"
	"skep/internal/storage"
)

// planSystemStorage converges skep's own volume (config.Storage.System):
// created on the brick hosts the storage phase has just set up, with the
// same options, started, and mounted on every manager by systemd units,
// its root private (0700). The controller keeps its ACME account and
// certificate keys there: replicated like the user's data, but out of
// reach of every bind of storage.mount. Nothing here removes a brick, a
// volume or a file.
func planSystemStorage(ctx context.Context, e *env) ([]Step, error) {
	if e.cluster.Storage == nil {
		return nil, nil
	}
	facts, err := gatherSystemFacts(ctx, e)
	if err != nil {
		return nil, err
	}
	return systemSteps(e, facts)
}

// privateDirs are the system volume's directories that must exist, 0700,
// before a service binds them: its root, and the controller's state when
// the cluster has one.
func privateDirs(c *config.Cluster) []string {
	dirs := []string{c.Storage.SystemMount}
	if c.ACME != nil {
		dirs = append(dirs, c.ControllerStateDir())
	}
	return dirs
}

// gatherSystemFacts asks the managers (mount) and brick hosts (volume),
// in parallel, one round trip each. volume status is a transaction among
// all glusterds: only the first brick host asks it, and the next whose
// glusterd answered only when that gave no answer (never two at once).
func gatherSystemFacts(ctx context.Context, e *env) (map[string]*storage.HostFacts, error) {
	c := e.cluster
	managers, bricks := map[string]bool{}, map[string]bool{}
	for _, m := range c.Managers() {
		managers[m.Name] = true
	}
	for _, b := range c.BrickHosts() {
		bricks[b.Name] = true
	}
	var names []string
	for _, h := range c.Hosts {
		if managers[h.Name] || bricks[h.Name] {
			names = append(names, h.Name)
		}
	}
	first := c.BrickHosts()[0].Name
	dirs := privateDirs(c)[1:]
	ask := func(name string, q storage.SystemQuestions) (*storage.HostFacts, error) {
		h, _ := c.HostByName(name)
		out, err := e.hosts[name].Sudo(ctx, storage.SystemFactsScript(c, h, q))
		if err != nil {
			return nil, fmt.Errorf("gather system storage facts: %w", err)
		}
		return storage.ParseSystemFacts(out), nil
	}
	facts, err := onHosts(names, func(name string) (*storage.HostFacts, error) {
		return ask(name, storage.SystemQuestions{Mount: managers[name], Dirs: dirs, VolumeInfo: bricks[name], VolumeStatus: name == first})
	})
	if err != nil {
		return nil, err
	}
	err = statusInTurn(c.BrickHosts(), facts, glusterdAnswered, func(name string) (*storage.HostFacts, error) {
		return ask(name, storage.SystemQuestions{VolumeStatus: true})
	})
	return facts, err
}

// glusterdAnswered tells whether the host's glusterd answered about the
// system volume (the system facts do not ask about the container).
func glusterdAnswered(f *storage.HostFacts) bool { return f.Answered["volinfo"] && f.VolumeErr == nil }

// systemSteps is the plan, from facts alone (tested without hosts).
func systemSteps(e *env, facts map[string]*storage.HostFacts) ([]Step, error) {
	c := e.cluster
	sc := storage.SystemCluster(c)
	sys := sc.Storage
	bricks := c.BrickHosts()
	fact := func(name string) *storage.HostFacts {
		if f := facts[name]; f != nil {
			return f
		}
		return storage.ParseSystemFacts("")
	}
	// The anchor runs the pool's commands: the first brick host whose
	// glusterd answered about the volume, else the first brick host.
	anchor := bricks[0]
	for _, b := range bricks {
		if glusterdAnswered(fact(b.Name)) {
			anchor = b
			break
		}
	}
	var vol *storage.Volume
	for _, b := range bricks {
		if v := fact(b.Name).Volume; v != nil {
			vol = v
			break
		}
	}
	steps, err := volumeSteps(e, anchor, sc, vol, offlineIn(sc, facts, nil), volumeText{
		what: " (skep's own state)", on: " on volume " + sys.Volume,
		createWhy: "the controller's ACME account and keys need a replicated volume that no bind of " + c.Storage.Mount + " reaches",
	})
	if err != nil {
		return nil, err
	}
	for _, m := range c.Managers() {
		// The client is installed by the storage phase (every host mounts
		// the user volume). The mount point itself is private too, so
		// nothing can be read there while the volume is not mounted.
		steps = append(steps, volumeMountSteps(e, m, fact(m.Name), mountSpec{s: sys, key: "storage.system_mount", what: " (skep's own state)",
			units: storage.SystemUnits(c, m), remount: storage.SystemRemountService, mkdir: "install -d -m 0700"})...)
	}
	if step, ok := privateStep(e, facts); ok {
		steps = append(steps, step)
	}
	return steps, nil
}

// privateStep makes the volume's root and skep's directories on it exist
// with mode 0700, once for the cluster (the volume is shared), judged by
// the first manager that has it mounted.
func privateStep(e *env, facts map[string]*storage.HostFacts) (Step, bool) {
	c := e.cluster
	dirs := privateDirs(c)
	h := c.FirstManager()
	for _, m := range c.Managers() {
		if f := facts[m.Name]; f != nil && f.Mounted() {
			h = m
			break
		}
	}
	var wrong []string
	f := facts[h.Name]
	for _, d := range dirs {
		mode := ""
		if f != nil && f.Mounted() {
			mode = f.Modes[d]
		}
		switch mode {
		case "700":
		case "":
			wrong = append(wrong, d+" missing")
		default:
			wrong = append(wrong, d+" has mode "+mode)
		}
	}
	if len(wrong) == 0 {
		return Step{}, false
	}
	mount := c.Storage.SystemMount
	var script strings.Builder
	// Never on the directory beneath: a state directory on one node's
	// disk is what this volume exists to prevent.
	fmt.Fprintf(&script, "findmnt -rn -t fuse.glusterfs --mountpoint '%s' >/dev/null || { echo '%s is not mounted' >&2; exit 1; }\n", mount, mount)
	for _, d := range dirs {
		fmt.Fprintf(&script, "install -d -m 0700 '%s' && chmod 0700 '%s'\n", d, d)
	}
	return Step{Host: h.Name, Action: "make " + strings.Join(dirs, " and ") + " private (directories, mode 0700)",
		Reason: strings.Join(wrong, ", ") + "; only root (and the controller) may read skep's state",
		run: func(ctx context.Context) error {
			_, err := e.hosts[h.Name].Sudo(ctx, script.String())
			return err
		}}, true
}
