package apply

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"

	"skep/internal/host"
	"skep/internal/storage"
)

// unitMarker starts a comment in every systemd unit skep writes: a unit
// without it is someone else's and is never removed.
const unitMarker = "# Written by skep apply"

// storageLeft is what one host still holds of skep's storage once the
// cluster file no longer declares it. It is read from the host alone
// (container, unit files, glusterd's state on disk), since the cluster
// file no longer says which volume, bricks or mounts there were.
type storageLeft struct {
	Container string     // skep-glusterd's state ("" when there is none)
	Units     []leftUnit // the unit files skep wrote for its mounts
	// Bricks are the bricks in glusterd's state on disk, as VOLUME and
	// ADDRESS:PATH: every volume's, this host's and the others'.
	Bricks []leftBrick
	State  bool // glusterd's state directory exists
}

type leftUnit struct {
	Path  string
	Where string // a mount unit's mount point; "" for the others
}

type leftBrick struct{ Volume, Ref string }

// Empty tells whether the host holds nothing of skep's storage.
func (l *storageLeft) Empty() bool {
	return l.Container == "" && len(l.Units) == 0 && len(l.Bricks) == 0 && !l.State
}

// storageLeftScript finds skep's storage on a host without asking
// glusterd (which may not run): brick files in its state directory name
// each brick's host and path. Read only.
var storageLeftScript = fmt.Sprintf(`echo '@@skep container'
command -v docker >/dev/null 2>&1 && docker inspect -f '{{.State.Status}}' %[1]s 2>/dev/null
echo '@@skep units'
for f in /etc/systemd/system/*.mount /etc/systemd/system/%[2]s /etc/systemd/system/%[3]s /etc/systemd/system/docker.service.d/skep-*.conf; do
  [ -f "$f" ] && grep -q '^%[4]s' "$f" && printf '%%s\t%%s\n' "$f" "$(sed -n 's/^Where=//p' "$f")"
done
echo '@@skep bricks'
for b in %[5]s/vols/*/bricks/*; do
  [ -f "$b" ] || continue
  printf '%%s\t%%s:%%s\n' "$(basename "$(dirname "$(dirname "$b")")")" "$(sed -n 's/^hostname=//p' "$b")" "$(sed -n 's/^path=//p' "$b")"
done
echo '@@skep state'
[ -d %[5]s ] && echo yes
echo '@@skep end'
`, storage.ContainerName, storage.RemountService, storage.SystemRemountService, unitMarker, storage.StateDir)

// parseStorageLeft reads storageLeftScript's output.
func parseStorageLeft(out string) *storageLeft {
	s := storage.Sections(out)
	l := &storageLeft{Container: strings.TrimSpace(s["container"]), State: strings.TrimSpace(s["state"]) == "yes"}
	for _, line := range lines(s["units"]) {
		p, where, _ := strings.Cut(line, "\t")
		l.Units = append(l.Units, leftUnit{Path: p, Where: where})
	}
	for _, line := range lines(s["bricks"]) {
		if v, ref, ok := strings.Cut(line, "\t"); ok {
			l.Bricks = append(l.Bricks, leftBrick{Volume: v, Ref: ref})
		}
	}
	return l
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// planRemoveStorage removes skep's GlusterFS from hosts once the cluster
// file has no storage section: the mounts and their units, then the
// glusterd containers. The bricks and glusterd's state stay on disk
// unless Options.RemoveData, which also stops and deletes the volumes and
// deletes the bricks, state and logs. acme needs storage (validation
// refuses acme without it), and the controller, whose state is on skep's
// own volume, is removed before this runs.
func planRemoveStorage(ctx context.Context, e *env) ([]Step, error) {
	if e.cluster.Storage != nil {
		return nil, nil
	}
	left, err := onHosts(hostNames(e.cluster.Hosts), func(name string) (*storageLeft, error) {
		out, err := e.hosts[name].Sudo(ctx, storageLeftScript)
		if err != nil {
			return nil, fmt.Errorf("look for skep's storage: %w", err)
		}
		return parseStorageLeft(out), nil
	})
	if err != nil {
		return nil, err
	}
	return storageRemovalSteps(e, left), nil
}

// storageRemovalSteps is the plan, from what the hosts hold alone (tested
// without hosts). Mounts go first, everywhere, so no client hangs on a
// server that is gone; volumes are deleted while their glusterds still
// run; directories are deleted last, once nothing serves them.
func storageRemovalSteps(e *env, left map[string]*storageLeft) []Step {
	names := hostNames(e.cluster.Hosts)
	var steps []Step
	for _, n := range names {
		if l := left[n]; l != nil && len(l.Units) > 0 {
			steps = append(steps, unmountStep(e, n, l.Units))
		}
	}

	volumes := leftVolumes(left)
	if e.opts.RemoveData && len(volumes) > 0 {
		// Asked of one glusterd: the pool deletes a volume everywhere.
		for _, n := range names {
			if l := left[n]; l != nil && l.Container == "running" {
				steps = append(steps, deleteVolumesStep(e, n, volumes))
				break
			}
		}
	}

	for _, n := range names {
		l := left[n]
		if l == nil || l.Container == "" {
			continue
		}
		why := "no storage section in the cluster file"
		if !e.opts.RemoveData {
			why += "; kept on disk: " + keptData(e, n, l) + " (apply with --remove-data to delete them)"
		}
		steps = append(steps, Step{Host: n, Action: "remove container " + storage.ContainerName, Reason: why,
			run: func(ctx context.Context) error {
				cli, err := e.hosts[n].Docker(ctx)
				if err != nil {
					return err
				}
				err = cli.ContainerRemove(ctx, storage.ContainerName, container.RemoveOptions{Force: true})
				if err != nil && !errdefs.IsNotFound(err) {
					return err
				}
				return nil
			}})
	}

	if !e.opts.RemoveData {
		return steps
	}
	for _, n := range names {
		l := left[n]
		if l == nil || (!l.State && len(ownBricks(e, n, l)) == 0) {
			continue
		}
		dirs := ownBricks(e, n, l)
		dirs = append(dirs, storage.StateDir, storage.LogDir)
		quoted := make([]string, len(dirs))
		for i, d := range dirs {
			quoted[i] = host.ShellQuote(d)
		}
		steps = append(steps, Step{Host: n, Action: "delete " + strings.Join(dirs, ", "),
			Reason: "no storage section in the cluster file and --remove-data: the bricks (the volumes' files) and glusterd's state and logs go",
			run: func(ctx context.Context) error {
				_, err := e.hosts[n].Sudo(ctx, "rm -rf -- "+strings.Join(quoted, " "))
				return err
			}})
	}
	return steps
}

// unmountStep stops and disables skep's mounts on one host and removes
// their unit files (see unmountScript).
func unmountStep(e *env, name string, units []leftUnit) Step {
	var where []string
	for _, u := range units {
		if strings.HasSuffix(u.Path, ".mount") && u.Where != "" {
			where = append(where, u.Where)
		}
	}
	what := "skep's systemd units"
	if len(where) > 0 {
		what = "the GlusterFS mounts " + strings.Join(where, ", ") + " and their systemd units"
	}
	script := unmountScript(units)
	return Step{Host: name, Action: "unmount and disable " + what,
		Reason: "no storage section in the cluster file; containers that bind these paths no longer see the volume's files",
		run: func(ctx context.Context) error {
			_, err := e.hosts[name].Sudo(ctx, script)
			return err
		}}
}

// unmountScript stops and disables the retrying services first, so none
// mounts again, then the mounts; a mount still busy is detached lazily
// (the cluster file asked for it gone). Then the unit files go.
func unmountScript(units []leftUnit) string {
	var services, files []string
	var mounts []leftUnit
	for _, u := range units {
		files = append(files, host.ShellQuote(u.Path))
		switch unit := path.Base(u.Path); {
		case strings.HasSuffix(unit, ".service"):
			services = append(services, host.ShellQuote(unit))
		case strings.HasSuffix(unit, ".mount"):
			mounts = append(mounts, u)
		}
	}
	var script strings.Builder
	if len(services) > 0 {
		fmt.Fprintf(&script, "systemctl disable --now %s >/dev/null 2>&1 || true\n", strings.Join(services, " "))
	}
	for _, m := range mounts {
		script.WriteString("systemctl disable --now " + host.ShellQuote(path.Base(m.Path)) + " >/dev/null 2>&1 || true\n")
		if m.Where != "" {
			w := host.ShellQuote(m.Where)
			fmt.Fprintf(&script, "if findmnt -rn --mountpoint %s >/dev/null; then umount -l %s; fi\n", w, w)
		}
	}
	fmt.Fprintf(&script, "rm -f -- %s\nsystemctl daemon-reload\n", strings.Join(files, " "))
	return script.String()
}

// deleteVolumesStep stops and deletes the volumes glusterd's state knows;
// the brick directories stay until their own step.
func deleteVolumesStep(e *env, name string, volumes []string) Step {
	return Step{Host: name, Action: "stop and delete the GlusterFS volumes " + strings.Join(volumes, ", "),
		Reason: "no storage section in the cluster file and --remove-data",
		run: func(ctx context.Context) error {
			hs := e.hosts[name]
			for _, v := range volumes {
				// A volume already stopped answers an error; delete says
				// whether it is gone.
				_, _ = hs.Sudo(ctx, storage.Gluster("volume", "stop", v, "force"))
				if _, err := hs.Sudo(ctx, storage.Gluster("volume", "delete", v)); err != nil {
					return fmt.Errorf("gluster volume delete %s: %w", v, err)
				}
			}
			return nil
		}}
}

// leftVolumes names every volume in any host's glusterd state, sorted.
func leftVolumes(left map[string]*storageLeft) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range left {
		for _, b := range l.Bricks {
			if !seen[b.Volume] {
				seen[b.Volume] = true
				out = append(out, b.Volume)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ownBricks are host name's brick directories by glusterd's state (which
// names bricks by the address skep gave, the cluster file's), sorted.
// Only absolute paths below a top-level directory: rm -rf gets nothing
// wider, whatever a state file says.
func ownBricks(e *env, name string, l *storageLeft) []string {
	h, ok := e.cluster.HostByName(name)
	if !ok {
		return nil
	}
	var out []string
	for _, b := range l.Bricks {
		p, ok := strings.CutPrefix(b.Ref, h.Address+":")
		if !ok || !path.IsAbs(p) || path.Clean(p) != p || strings.Count(p, "/") < 2 || contains(out, p) {
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// keptData words what stays on host name's disk without --remove-data.
func keptData(e *env, name string, l *storageLeft) string {
	kept := ownBricks(e, name, l)
	if len(kept) > 0 {
		kept = []string{"the bricks " + strings.Join(kept, ", ")}
	}
	return strings.Join(append(kept, "glusterd's state "+storage.StateDir), " and ")
}
