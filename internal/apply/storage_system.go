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
// in parallel, one round trip each.
func gatherSystemFacts(ctx context.Context, e *env) (map[string]*storage.SystemFacts, error) {
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
	dirs := privateDirs(c)[1:]
	return onHosts(names, func(name string) (*storage.SystemFacts, error) {
		h, _ := c.HostByName(name)
		out, err := e.hosts[name].Sudo(ctx, storage.SystemFactsScript(c, h, managers[name], bricks[name], dirs))
		if err != nil {
			return nil, fmt.Errorf("gather system storage facts: %w", err)
		}
		return storage.ParseSystemFacts(out), nil
	})
}

// systemSteps is the plan, from facts alone (tested without hosts).
func systemSteps(e *env, facts map[string]*storage.SystemFacts) ([]Step, error) {
	c := e.cluster
	sc := storage.SystemCluster(c)
	sys := sc.Storage
	bricks := c.BrickHosts()
	fact := func(name string) *storage.SystemFacts {
		if f := facts[name]; f != nil {
			return f
		}
		return &storage.SystemFacts{Modes: map[string]string{}, UnitHashes: map[string]string{}, Enabled: map[string]bool{}}
	}
	// The anchor runs the pool's commands: the first brick host whose
	// glusterd answered about the volume, else the first brick host.
	anchor := bricks[0]
	for _, b := range bricks {
		if f := fact(b.Name); f.Asked && f.VolumeErr == nil {
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
	var steps []Step
	run := func(ctx context.Context, args ...string) (string, error) {
		return e.hosts[anchor.Name].Sudo(ctx, storage.Gluster(args...))
	}

	if vol == nil {
		var names []string
		for _, h := range bricks {
			names = append(names, h.Name)
		}
		kind := "replica 3"
		if sys.Arbiter {
			kind = "replica 3 arbiter 1 (arbiter on " + bricks[len(bricks)-1].Name + ")"
		}
		steps = append(steps, Step{Host: anchor.Name,
			Action: fmt.Sprintf("create volume %s (skep's own state), %s, bricks %s on %s", sys.Volume, kind, sys.Brick, strings.Join(names, ", ")),
			Reason: "the controller's ACME account and keys need a replicated volume that no bind of " + c.Storage.Mount + " reaches",
			run: func(ctx context.Context) error {
				out, err := run(ctx, "volume", "info", sys.Volume, "--xml")
				if v, perr := storage.ParseVolumeInfo(out); err == nil && perr == nil && v != nil {
					return nil // created meanwhile (an interrupted run): never create twice
				}
				if _, err := e.hosts[anchor.Name].Sudo(ctx, storage.CreateVolumeCommand(sc)); err != nil {
					return fmt.Errorf("gluster volume create %s: %w", sys.Volume, err)
				}
				return nil
			}})
	} else if err := sameBricks(sc, vol); err != nil {
		return nil, err
	}
	for _, o := range storage.Options(sys) {
		cur, set := "", false
		if vol != nil {
			cur, set = vol.Options[o.Key]
		}
		if set && cur == o.Value {
			continue
		}
		was := "unset"
		if set {
			was = "is " + cur
		}
		steps = append(steps, Step{Host: anchor.Name, Action: fmt.Sprintf("set option %s %s on volume %s", o.Key, o.Value, sys.Volume),
			Reason: o.Why + " (" + was + ")",
			run: func(ctx context.Context) error {
				_, err := run(ctx, "volume", "set", sys.Volume, o.Key, o.Value)
				return err
			}})
	}
	if vol == nil || !vol.Started {
		steps = append(steps, Step{Host: anchor.Name, Action: "start volume " + sys.Volume, Reason: "the volume is not started",
			run: func(ctx context.Context) error {
				out, err := run(ctx, "volume", "info", sys.Volume, "--xml")
				if v, perr := storage.ParseVolumeInfo(out); err != nil || perr != nil || v == nil || !v.Started {
					if _, err := run(ctx, "volume", "start", sys.Volume); err != nil {
						return err
					}
				}
				return waitSystemBricks(ctx, e, anchor)
			}})
	} else if off := offlineSystemBricks(c, facts); len(off) > 0 {
		steps = append(steps, Step{Host: anchor.Name, Action: "start the offline bricks of " + strings.Join(off, ", ") + " on volume " + sys.Volume + " (volume start force)",
			Reason: "their glusterd runs but their brick process does not",
			run: func(ctx context.Context) error {
				_, err := run(ctx, "volume", "start", sys.Volume, "force")
				return err
			}})
	}

	for _, m := range c.Managers() {
		steps = append(steps, systemMountSteps(e, m, fact(m.Name))...)
	}
	if step, ok := privateStep(e, facts); ok {
		steps = append(steps, step)
	}
	return steps, nil
}

// offlineSystemBricks names the brick hosts whose system brick is offline
// by the volume status of the first brick host that answered.
func offlineSystemBricks(c *config.Cluster, facts map[string]*storage.SystemFacts) []string {
	sys := c.Storage.System()
	for _, o := range c.BrickHosts() {
		f := facts[o.Name]
		if f == nil || f.BricksErr != nil || f.Bricks == nil {
			continue
		}
		var out []string
		for _, h := range c.BrickHosts() {
			ref := storage.BrickRef(h, sys)
			for _, b := range f.Bricks {
				if b.Ref == ref && !b.Online {
					out = append(out, h.Name)
				}
			}
		}
		return out
	}
	return nil
}

// systemMountSteps write the units and mount the system volume on manager h.
// The client is installed by the storage phase (every host mounts the user
// volume).
func systemMountSteps(e *env, h config.Host, f *storage.SystemFacts) []Step {
	sys := e.cluster.Storage.System()
	hs := e.hosts[h.Name]
	// Quoted: a '-' in the path is \x2d in the unit's name.
	unit := shellWord(storage.MountUnitName(sys.Mount))
	var steps []Step
	units := storage.SystemUnits(e.cluster, h)
	var changed []string
	for _, u := range units {
		if f.UnitHashes[u.Path] != storage.UnitHash(u.Content) {
			changed = append(changed, u.Path)
		}
	}
	if len(changed) > 0 || !f.Enabled[storage.MountUnitName(sys.Mount)] || !f.Enabled[storage.SystemRemountService] {
		why := "not enabled"
		if len(changed) > 0 {
			why = "missing or different: " + strings.Join(changed, ", ")
		}
		steps = append(steps, Step{Host: h.Name, Action: "write and enable the systemd units that mount " + sys.Mount + " (skep's own state) at boot, before the engine starts containers",
			Reason: why,
			run: func(ctx context.Context) error {
				for _, u := range units {
					if err := hs.Upload(ctx, u.Path, []byte(u.Content), 0o644); err != nil {
						return err
					}
				}
				_, err := hs.Sudo(ctx, "systemctl daemon-reload && systemctl enable "+unit+" "+storage.SystemRemountService+" >/dev/null 2>&1")
				return err
			}})
	}
	switch {
	case f.Mounted():
	case f.MountFS == "fuse.glusterfs":
		steps = append(steps, Step{Host: h.Name, Action: "remount " + sys.Mount, Reason: "the mount does not answer (its client lost the volume)",
			run: func(ctx context.Context) error {
				if _, err := hs.Sudo(ctx, "umount -l '"+sys.Mount+"'; systemctl reset-failed "+unit+" 2>/dev/null; systemctl restart "+unit); err != nil {
					return err
				}
				return waitSystemMount(ctx, e, h)
			}})
	case f.MountFS != "":
		steps = append(steps, Step{Host: h.Name, Action: "mount " + sys.Volume + " at " + sys.Mount,
			Reason: "blocked: a " + f.MountFS + " file system is mounted there",
			run: func(context.Context) error {
				return fmt.Errorf("%s is already mounted (%s); unmount it or choose another storage.system_mount, then apply again", sys.Mount, f.MountFS)
			}})
	default:
		steps = append(steps, Step{Host: h.Name, Action: "mount " + sys.Volume + " at " + sys.Mount, Reason: "not mounted",
			run: func(ctx context.Context) error {
				// The mount point itself is private too, so nothing can
				// be read there while the volume is not mounted.
				if _, err := hs.Sudo(ctx, "install -d -m 0700 '"+sys.Mount+"' && systemctl reset-failed "+unit+" 2>/dev/null; systemctl start "+unit); err != nil {
					return fmt.Errorf("%w (see: journalctl -u %s and /var/log/glusterfs/ on %s)", err, unit, h.Name)
				}
				return waitSystemMount(ctx, e, h)
			}})
	}
	return steps
}

// privateStep makes the volume's root and skep's directories on it exist
// with mode 0700, once for the cluster (the volume is shared), judged by
// the first manager that has it mounted.
func privateStep(e *env, facts map[string]*storage.SystemFacts) (Step, bool) {
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

func waitSystemMount(ctx context.Context, e *env, h config.Host) error {
	m := e.cluster.Storage.SystemMount
	return poll(ctx, m+" mounted", func(ctx context.Context) error {
		_, err := e.hosts[h.Name].Sudo(ctx, "findmnt -rn -t fuse.glusterfs --mountpoint '"+m+"' >/dev/null && timeout 3 stat -f '"+m+"' >/dev/null")
		return err
	})
}

func waitSystemBricks(ctx context.Context, e *env, anchor config.Host) error {
	sys := e.cluster.Storage.System()
	return poll(ctx, "bricks of "+sys.Volume+" online", func(ctx context.Context) error {
		out, err := e.hosts[anchor.Name].Sudo(ctx, storage.Gluster("volume", "status", sys.Volume, "--xml"))
		if err != nil {
			return err
		}
		st, err := storage.ParseVolumeStatus(out)
		if err != nil {
			return err
		}
		online := 0
		for _, b := range st {
			if b.Online {
				online++
			}
		}
		if online < len(e.cluster.BrickHosts()) {
			return fmt.Errorf("%d of %d bricks online", online, len(e.cluster.BrickHosts()))
		}
		return nil
	})
}
