package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"

	"skep/internal/config"
	"skep/internal/host"
	skimage "skep/internal/image"
	"skep/internal/poll"
	"skep/internal/storage"
)

// glusterdRecipe is the image of skep-glusterd: Debian's glusterfs-server.
var glusterdRecipe = skimage.Dockerfile("glusterd")

// storageWait bounds each wait for GlusterFS to answer after a change.
const storageWait = 90 * time.Second

// planStorage converges the shared volume: a skep-glusterd container on
// each brick host, the hosts in one trusted pool, the volume created with
// skep's options and started, its bricks running, and the volume mounted
// on every host by systemd units. Nothing here removes a brick, a volume
// or a file: repairs are restarts, remounts and "start force" (which only
// starts missing brick processes).
func planStorage(ctx context.Context, e *env) ([]Step, error) {
	if e.cluster.Storage == nil {
		return nil, nil
	}
	tag, err := e.images.tagFor(glusterdRecipe)
	if err != nil {
		return nil, err
	}
	facts, err := gatherStorageFacts(ctx, e)
	if err != nil {
		return nil, err
	}
	return storageSteps(e, tag, facts)
}

// gatherStorageFacts asks every host, in parallel, in one round trip each.
// volume status is a transaction among all glusterds: only the first
// brick host asks it, and the next whose glusterd runs only when that
// gave no answer (never two at once).
func gatherStorageFacts(ctx context.Context, e *env) (map[string]*storage.HostFacts, error) {
	bricks := map[string]bool{}
	for _, h := range e.cluster.BrickHosts() {
		bricks[h.Name] = true
	}
	first := e.cluster.BrickHosts()[0].Name
	facts, err := onHosts(hostNames(e.cluster.Hosts), func(name string) (*storage.HostFacts, error) {
		q := storage.Questions{Brick: bricks[name], Gluster: bricks[name], VolumeStatus: name == first}
		return askStorage(ctx, e, name, q)
	})
	if err != nil {
		return nil, err
	}
	err = statusInTurn(e.cluster.BrickHosts(), facts, (*storage.HostFacts).GlusterdRunning, func(name string) (*storage.HostFacts, error) {
		return askStorage(ctx, e, name, storage.Questions{VolumeStatus: true})
	})
	return facts, err
}

// statusInTurn completes facts gathered with volume status asked of the
// first brick host only: when that gave no answer, the next brick hosts
// that are up are asked, one at a time, until one answers, and the answer
// goes into that host's facts.
func statusInTurn(bricks []config.Host, facts map[string]*storage.HostFacts, up func(*storage.HostFacts) bool,
	ask func(name string) (*storage.HostFacts, error)) error {
	answered := func(f *storage.HostFacts) bool { return f.Answered["volstatus"] && f.BricksErr == nil }
	if answered(facts[bricks[0].Name]) {
		return nil // the usual case: the first brick host answered
	}
	for _, h := range bricks[1:] {
		f := facts[h.Name]
		if !up(f) {
			continue
		}
		wide, err := ask(h.Name)
		if err != nil {
			return err
		}
		f.Bricks, f.BricksErr, f.Answered["volstatus"] = wide.Bricks, wide.BricksErr, wide.Answered["volstatus"]
		if answered(f) {
			return nil
		}
	}
	return nil
}

func askStorage(ctx context.Context, e *env, name string, q storage.Questions) (*storage.HostFacts, error) {
	h, _ := e.cluster.HostByName(name)
	res, err := e.hosts[name].Sudo(ctx, storage.FactsScript(e.cluster, h, q))
	if err != nil {
		return nil, fmt.Errorf("gather storage facts: %w", err)
	}
	return storage.ParseFacts(res), nil
}

// storageSteps is the plan, from facts alone (tested without hosts). Steps
// are planned as if the earlier ones succeed: on a fresh cluster every
// step appears at once.
func storageSteps(e *env, tag string, facts map[string]*storage.HostFacts) ([]Step, error) {
	c, s := e.cluster, e.cluster.Storage
	spec := storage.ContainerSpec(tag, s)
	bricks := c.BrickHosts()
	var steps []Step

	// 1. The GlusterFS server on each brick host, one at a time (a host's
	// step waits until its glusterd answers), so a changed image never
	// takes two bricks down together.
	volExists := volumeView(bricks, facts) != nil
	for _, h := range bricks {
		f := facts[h.Name]
		switch {
		case f.Container == "":
			steps = append(steps, glusterdStep(e, h, tag, spec, false, volExists, "start container "+storage.ContainerName+" ("+tag+")",
				"no GlusterFS server on the host"))
		case f.Image != tag || f.ConfigHash != spec.Hash:
			why := "its settings changed"
			if f.Image != tag {
				why = "its image is " + f.Image
			}
			steps = append(steps, glusterdStep(e, h, tag, spec, true, volExists, "recreate container "+storage.ContainerName+" ("+tag+"), keeping its state and brick",
				why))
		case f.Container != "running":
			steps = append(steps, Step{Host: h.Name, Action: "start the stopped container " + storage.ContainerName,
				Reason: "the container is " + f.Container,
				run: func(ctx context.Context) error {
					cli, err := e.hosts[h.Name].Docker(ctx)
					if err != nil {
						return err
					}
					if err := cli.ContainerStart(ctx, storage.ContainerName, container.StartOptions{}); err != nil {
						return err
					}
					return waitServing(ctx, e, h, volExists)
				}})
		}
	}

	// 2. One trusted pool, probed from a host already in it.
	anchor := storageAnchor(c, facts)
	af := facts[anchor.Name]
	known := map[string]bool{}
	for _, p := range af.Peers {
		for _, n := range p.Names() {
			known[n] = true
		}
	}
	for _, h := range bricks {
		if h.Name == anchor.Name || known[h.Address] {
			continue
		}
		steps = append(steps, Step{Host: anchor.Name, Action: fmt.Sprintf("add %s (%s) to the GlusterFS pool", h.Name, h.Address),
			Reason: "not a peer yet",
			run: func(ctx context.Context) error {
				if _, err := e.hosts[anchor.Name].Sudo(ctx, storage.Gluster("peer", "probe", h.Address)); err != nil {
					return fmt.Errorf("gluster peer probe %s: %w (is glusterd on %s running and tcp/24007 open between the hosts?)", h.Address, err, h.Name)
				}
				return waitPeer(ctx, e, anchor, h)
			}})
	}

	// 3. The volume, its options, started.
	vol := volumeView(bricks, facts)
	more, err := volumeSteps(e, anchor, c, vol, offlineBricks(c, facts), volumeText{createWhy: "the volume does not exist"})
	if err != nil {
		return nil, err
	}
	steps = append(steps, more...)

	// A lost brick (a replaced disk) is rebuilt from the other copies only
	// when the cluster file asks; it holds nothing to lose, but it is a
	// decision for a person.
	if vol != nil {
		for _, h := range bricks {
			f := facts[h.Name]
			ref := storage.BrickRef(h, s)
			switch {
			case !f.GlusterdRunning() || f.BrickLost == "":
			case f.BrickLost == "foreign":
				e.warn(h.Name, fmt.Sprintf("%s holds files but is not a brick of volume %s (no volume-id); skep leaves it alone: move them away to let it be rebuilt", s.Brick, s.Volume))
			case !s.ReplaceLostBricks:
				e.warn(h.Name, fmt.Sprintf("the brick %s is lost (%s); set storage.replace_lost_bricks: true and apply to rebuild it from the other copies", s.Brick, f.BrickLost))
			default:
				steps = append(steps, Step{Host: h.Name, Action: "rebuild the lost brick " + s.Brick + " from the other copies (reset-brick, then a full heal)",
					Reason: "its directory is " + f.BrickLost + " (a replaced disk?) and storage.replace_lost_bricks is true",
					run: func(ctx context.Context) error {
						hs := e.hosts[h.Name]
						if _, err := hs.Sudo(ctx, "mkdir -p '"+s.Brick+"'"); err != nil {
							return err
						}
						for _, args := range [][]string{
							{"volume", "reset-brick", s.Volume, ref, "start"},
							{"volume", "reset-brick", s.Volume, ref, ref, "commit", "force"},
						} {
							if _, err := hs.Sudo(ctx, storage.Gluster(args...)); err != nil {
								return fmt.Errorf("gluster %s: %w", strings.Join(args, " "), err)
							}
						}
						if err := waitServing(ctx, e, h, true); err != nil {
							return err
						}
						// reset-brick marks the whole tree for healing onto the
						// new brick; the self-heal daemon copies it. A full
						// crawl asked for now only speeds that up, and is
						// refused while the daemons still reconnect.
						if _, err := hs.Sudo(ctx, storage.Gluster("volume", "heal", s.Volume, "full")); err != nil {
							e.logf(h.Name, "full heal not started now (%v); the self-heal daemon rebuilds the brick on its own", err)
						}
						return nil
					}})
			}
		}
	}

	// 4. The mount on every host.
	for _, h := range c.Hosts {
		steps = append(steps, mountSteps(e, h, facts[h.Name])...)
	}
	return steps, nil
}

// storageAnchor is the brick host that runs the pool's commands: the first
// whose glusterd already belongs to a pool or knows the volume, else the
// first brick host.
func storageAnchor(c *config.Cluster, facts map[string]*storage.HostFacts) config.Host {
	for _, h := range c.BrickHosts() {
		f := facts[h.Name]
		if f.GlusterdRunning() && (len(f.Peers) > 0 || f.Volume != nil) {
			return h
		}
	}
	return c.BrickHosts()[0]
}

// volumeView is the volume as the first brick host that can tell sees it;
// nil when none knows it.
func volumeView(bricks []config.Host, facts map[string]*storage.HostFacts) *storage.Volume {
	for _, h := range bricks {
		if v := facts[h.Name].Volume; v != nil {
			return v
		}
	}
	return nil
}

// sameBricks refuses a volume whose bricks are not the declared ones:
// moving bricks moves data, which skep does not do behind anyone's back.
func sameBricks(c *config.Cluster, v *storage.Volume) error {
	var want []string
	for _, h := range c.BrickHosts() {
		want = append(want, storage.BrickRef(h, c.Storage))
	}
	if strings.Join(want, " ") == strings.Join(v.Bricks, " ") {
		return nil
	}
	return fmt.Errorf("volume %s has the bricks %s, but the cluster file declares %s; skep does not move bricks (that moves data): "+
		"fix the cluster file, or move them yourself with gluster volume replace-brick, then apply again",
		v.Name, strings.Join(v.Bricks, ", "), strings.Join(want, ", "))
}

// volumeText words the steps of one volume.
type volumeText struct {
	what      string // after the volume's name where it is created
	on        string // after an option's or the offline bricks' step: which volume
	createWhy string
}

// volumeSteps create volume vc.Storage (when vol, the volume as a brick
// host sees it, is nil), set its options and start it, or start its
// offline bricks; all on the anchor. A volume with other bricks than the
// declared ones is refused.
func volumeSteps(e *env, anchor config.Host, vc *config.Cluster, vol *storage.Volume, offline []string, t volumeText) ([]Step, error) {
	s := vc.Storage
	bricks := vc.BrickHosts()
	run := func(ctx context.Context, args ...string) (string, error) {
		return e.hosts[anchor.Name].Sudo(ctx, storage.Gluster(args...))
	}
	var steps []Step
	if vol == nil {
		var names []string
		for _, h := range bricks {
			names = append(names, h.Name)
		}
		kind := "replica 3"
		if s.Arbiter {
			kind = "replica 3 arbiter 1 (arbiter on " + bricks[len(bricks)-1].Name + ")"
		}
		steps = append(steps, Step{Host: anchor.Name, Action: fmt.Sprintf("create volume %s%s, %s, bricks %s on %s", s.Volume, t.what, kind, s.Brick, strings.Join(names, ", ")),
			Reason: t.createWhy,
			run: func(ctx context.Context) error {
				out, err := run(ctx, "volume", "info", s.Volume, "--xml")
				if v, perr := storage.ParseVolumeInfo(out); err == nil && perr == nil && v != nil {
					return nil // created meanwhile (an interrupted run): never create twice
				}
				if _, err := e.hosts[anchor.Name].Sudo(ctx, storage.CreateVolumeCommand(vc)); err != nil {
					return fmt.Errorf("gluster volume create %s: %w", s.Volume, err)
				}
				return nil
			}})
	} else if err := sameBricks(vc, vol); err != nil {
		return nil, err
	}
	for _, o := range storage.Options(s, vc.Tuning) {
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
		steps = append(steps, Step{Host: anchor.Name, Action: fmt.Sprintf("set volume option %s %s%s", o.Key, o.Value, t.on),
			Reason: o.Why + " (" + was + ")",
			run: func(ctx context.Context) error {
				_, err := run(ctx, "volume", "set", s.Volume, o.Key, o.Value)
				return err
			}})
	}
	if vol == nil || !vol.Started {
		steps = append(steps, Step{Host: anchor.Name, Action: "start volume " + s.Volume, Reason: "the volume is not started",
			run: func(ctx context.Context) error {
				// Planned from facts that may predate a glusterd restart:
				// a volume started meanwhile is fine as it is.
				out, err := run(ctx, "volume", "info", s.Volume, "--xml")
				if v, perr := storage.ParseVolumeInfo(out); err != nil || perr != nil || v == nil || !v.Started {
					if _, err := run(ctx, "volume", "start", s.Volume); err != nil {
						return err
					}
				}
				return waitBricks(ctx, e, anchor, s.Volume)
			}})
	} else if len(offline) > 0 {
		// "start force" starts only the brick processes that are missing;
		// it touches no data. A brick whose directory is gone stays down
		// (gluster checks its volume-id), which status reports.
		steps = append(steps, Step{Host: anchor.Name, Action: "start the offline bricks of " + strings.Join(offline, ", ") + t.on + " (volume start force)",
			Reason: "their glusterd runs but their brick process does not",
			run: func(ctx context.Context) error {
				_, err := run(ctx, "volume", "start", s.Volume, "force")
				return err
			}})
	}
	return steps, nil
}

// offlineBricks names the brick hosts whose glusterd runs but whose brick
// process does not, by the volume status of any host that answered.
func offlineBricks(c *config.Cluster, facts map[string]*storage.HostFacts) []string {
	var skip []string
	for _, h := range c.BrickHosts() {
		if !facts[h.Name].GlusterdRunning() || facts[h.Name].BrickLost != "" {
			// Its container step restarts it (and glusterd its brick); a
			// lost brick is rebuilt, not started.
			skip = append(skip, h.Name)
		}
	}
	return offlineIn(c, facts, skip)
}

// offlineIn names the brick hosts but skip whose brick of volume
// c.Storage is offline, by the volume status of the first brick host
// that answered it.
func offlineIn(c *config.Cluster, facts map[string]*storage.HostFacts, skip []string) []string {
	for _, o := range c.BrickHosts() {
		f := facts[o.Name]
		if f == nil || f.BricksErr != nil || f.Bricks == nil {
			continue
		}
		var out []string
		for _, h := range c.BrickHosts() {
			ref := storage.BrickRef(h, c.Storage)
			for _, b := range f.Bricks {
				if b.Ref == ref && !b.Online && !slices.Contains(skip, h.Name) {
					out = append(out, h.Name)
				}
			}
		}
		return out
	}
	return nil
}

// glusterdStep (re)creates skep-glusterd. State, logs and brick live in
// host directories, so the new container is the same peer with the same
// data.
func glusterdStep(e *env, h config.Host, tag string, spec storage.Spec, replace, volExists bool, action, why string) Step {
	return Step{Host: h.Name, Action: action, Reason: why, run: func(ctx context.Context) error {
		hs := e.hosts[h.Name]
		var mk []string
		for _, d := range storage.Dirs(e.cluster.Storage) {
			mk = append(mk, "'"+d+"'")
		}
		if _, err := hs.Sudo(ctx, "mkdir -p "+strings.Join(mk, " ")); err != nil {
			return err
		}
		cli, err := hs.Docker(ctx)
		if err != nil {
			return err
		}
		if replace {
			if err := cli.ContainerRemove(ctx, storage.ContainerName, container.RemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
		}
		if _, err := cli.ContainerCreate(ctx, spec.Config, spec.Host, nil, nil, storage.ContainerName); err != nil {
			return fmt.Errorf("create %s: %w", storage.ContainerName, err)
		}
		if err := cli.ContainerStart(ctx, storage.ContainerName, container.StartOptions{}); err != nil {
			return fmt.Errorf("start %s: %w (see: docker logs %s)", storage.ContainerName, err, storage.ContainerName)
		}
		return waitServing(ctx, e, h, volExists)
	}}
}

// mountSteps install the client, write the units and mount, on one host.
func mountSteps(e *env, h config.Host, f *storage.HostFacts) []Step {
	var steps []Step
	if !f.Client {
		steps = append(steps, Step{Host: h.Name, Action: "install the GlusterFS client (glusterfs-client)",
			Reason: "mounting the volume needs mount.glusterfs",
			run: func(ctx context.Context) error {
				_, err := e.hosts[h.Name].Sudo(ctx, "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq glusterfs-client >/dev/null")
				if err != nil {
					return fmt.Errorf("%w (on a system without apt, install the GlusterFS FUSE client by hand, then apply again)", err)
				}
				return nil
			}})
	}
	return append(steps, volumeMountSteps(e, h, f, mountSpec{s: e.cluster.Storage, key: "storage.mount",
		units: storage.Units(e.cluster, h), remount: storage.RemountService, mkdir: "mkdir -p"})...)
}

// mountSpec is one of skep's GlusterFS mounts on a host.
type mountSpec struct {
	s       *config.Storage // its volume and mount path
	key     string          // the cluster file's key of the path
	what    string          // after the path in the units' step
	units   []storage.Unit
	remount string // the retrying service among the units
	mkdir   string // makes the mount point
}

// volumeMountSteps write the units of mount m and mount it, on host h
// whose facts about it are f.
func volumeMountSteps(e *env, h config.Host, f *storage.HostFacts, m mountSpec) []Step {
	s := m.s
	hs := e.hosts[h.Name]
	// Quoted: a '-' in the path is \x2d in the unit's name.
	name := storage.MountUnitName(s.Mount)
	unit := host.ShellQuote(name)
	var steps []Step
	var changed []string
	for _, u := range m.units {
		if f.UnitHashes[u.Path] != storage.UnitHash(u.Content) {
			changed = append(changed, u.Path)
		}
	}
	if len(changed) > 0 || !f.Enabled[name] || !f.Enabled[m.remount] {
		why := "not enabled"
		if len(changed) > 0 {
			why = "missing or different: " + strings.Join(changed, ", ")
		}
		steps = append(steps, Step{Host: h.Name, Action: "write and enable the systemd units that mount " + s.Mount + m.what + " at boot, before the engine starts containers",
			Reason: why,
			run: func(ctx context.Context) error {
				for _, u := range m.units {
					if err := hs.Upload(ctx, u.Path, []byte(u.Content), 0o644); err != nil {
						return err
					}
				}
				_, err := hs.Sudo(ctx, "systemctl daemon-reload && systemctl enable "+unit+" "+m.remount+" >/dev/null 2>&1")
				return err
			}})
	}
	switch {
	case f.Mounted():
	case f.MountFS == "fuse.glusterfs":
		steps = append(steps, Step{Host: h.Name, Action: "remount " + s.Mount, Reason: "the mount does not answer (its client lost the volume)",
			run: func(ctx context.Context) error {
				if _, err := hs.Sudo(ctx, "umount -l "+host.ShellQuote(s.Mount)+"; systemctl reset-failed "+unit+" 2>/dev/null; systemctl restart "+unit); err != nil {
					return err
				}
				return waitMount(ctx, e, h, s.Mount)
			}})
	case f.MountFS != "":
		steps = append(steps, Step{Host: h.Name, Action: "mount " + s.Volume + " at " + s.Mount,
			Reason: "blocked: a " + f.MountFS + " file system is mounted there",
			run: func(context.Context) error {
				return fmt.Errorf("%s is already mounted (%s); unmount it or choose another %s, then apply again", s.Mount, f.MountFS, m.key)
			}})
	default:
		steps = append(steps, Step{Host: h.Name, Action: "mount " + s.Volume + " at " + s.Mount, Reason: "not mounted",
			run: func(ctx context.Context) error {
				if _, err := hs.Sudo(ctx, m.mkdir+" "+host.ShellQuote(s.Mount)+" && systemctl reset-failed "+unit+" 2>/dev/null; systemctl start "+unit); err != nil {
					return fmt.Errorf("%w (see: journalctl -u %s and /var/log/glusterfs/ on %s)", err, unit, h.Name)
				}
				return waitMount(ctx, e, h, s.Mount)
			}})
	}
	return steps
}

// waitStorage runs check every 500 ms, each try given 10 s, until it
// returns nil or storageWait passes.
func waitStorage(ctx context.Context, what string, check func(ctx context.Context) error) error {
	return poll.Until(ctx, what, 500*time.Millisecond, storageWait, func(ctx context.Context) error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return check(cctx)
	})
}

func waitGlusterd(ctx context.Context, e *env, h config.Host) error {
	return waitStorage(ctx, "glusterd answering", func(ctx context.Context) error {
		out, err := e.hosts[h.Name].Sudo(ctx, storage.Gluster("peer", "status", "--xml"))
		if err != nil {
			return err
		}
		_, err = storage.ParsePeers(out)
		return err
	})
}

// waitServing waits for a (re)started glusterd to answer and, when the
// volume exists, for its brick process, so the next host's step never
// takes a second brick away while this one is still down. glusterd starts
// its brick once it sees a quorum of peers; if it has not after 20 s,
// "volume start force" starts it (it only starts missing brick processes).
func waitServing(ctx context.Context, e *env, h config.Host, volExists bool) error {
	if err := waitGlusterd(ctx, e, h); err != nil || !volExists {
		return err
	}
	s := e.cluster.Storage
	check := "pgrep -f -- '" + "glusterfsd .*--brick-name " + s.Brick + "( |$)' >/dev/null"
	deadline := time.Now().Add(20 * time.Second)
	forced := false
	return waitStorage(ctx, "the brick of "+h.Name+" running", func(ctx context.Context) error {
		if _, err := e.hosts[h.Name].Sudo(ctx, check); err == nil {
			return nil
		}
		if !forced && time.Now().After(deadline) {
			forced = true
			e.logf(h.Name, "brick not started by glusterd within 20s; starting it with volume start force")
			if _, err := e.hosts[h.Name].Sudo(ctx, storage.Gluster("volume", "start", s.Volume, "force")); err != nil {
				return err
			}
		}
		return fmt.Errorf("no brick process for %s", s.Brick)
	})
}

func waitPeer(ctx context.Context, e *env, anchor, h config.Host) error {
	return waitStorage(ctx, h.Name+" connected as a peer", func(ctx context.Context) error {
		out, err := e.hosts[anchor.Name].Sudo(ctx, storage.Gluster("peer", "status", "--xml"))
		if err != nil {
			return err
		}
		peers, err := storage.ParsePeers(out)
		if err != nil {
			return err
		}
		for _, p := range peers {
			for _, n := range p.Names() {
				if n == h.Address && p.Connected && p.State == "Peer in Cluster" {
					return nil
				}
			}
		}
		return fmt.Errorf("peer %s not connected", h.Address)
	})
}

func waitBricks(ctx context.Context, e *env, anchor config.Host, volume string) error {
	return waitStorage(ctx, "bricks of "+volume+" online", func(ctx context.Context) error {
		out, err := e.hosts[anchor.Name].Sudo(ctx, storage.Gluster("volume", "status", volume, "--xml"))
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

func waitMount(ctx context.Context, e *env, h config.Host, mount string) error {
	m := host.ShellQuote(mount)
	return waitStorage(ctx, mount+" mounted", func(ctx context.Context) error {
		_, err := e.hosts[h.Name].Sudo(ctx, "findmnt -rn -t fuse.glusterfs --mountpoint "+m+" >/dev/null && timeout 3 stat -f "+m+" >/dev/null")
		return err
	})
}

// warn records a warning about a host and says it at once.
func (e *env) warn(hostName, msg string) {
	e.result.Warnings = append(e.result.Warnings, hostName+": "+msg)
	e.logf(hostName, "warning: %s", msg)
}
