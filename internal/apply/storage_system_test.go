package apply

import (
	"strings"
	"testing"

	"skep/internal/config"
	"skep/internal/storage"
)

func systemTestCluster() *config.Cluster {
	c := storageTestCluster()
	c.ACME = &config.ACME{Email: "ops@example.com"}
	return c
}

// freshSystem: the storage phase is done (glusterd runs, the pool is
// formed), nothing of the system volume exists yet.
func freshSystem(c *config.Cluster) map[string]*storage.HostFacts {
	out := map[string]*storage.HostFacts{}
	for _, h := range c.Hosts {
		if h.Role == config.RoleWorker {
			continue // not asked: no system mount, no brick
		}
		f := storage.ParseSystemFacts("")
		f.Answered["volinfo"] = true // its glusterd knows no such volume
		out[h.Name] = f
	}
	return out
}

func convergedSystem(c *config.Cluster) map[string]*storage.HostFacts {
	sys := c.Storage.System()
	vol := &storage.Volume{Name: sys.Volume, Started: true, Replica: 3, Options: map[string]string{}}
	for _, o := range storage.Options(sys, c.Tuning) {
		vol.Options[o.Key] = o.Value
	}
	for _, h := range c.BrickHosts() {
		vol.Bricks = append(vol.Bricks, storage.BrickRef(h, sys))
	}
	out := freshSystem(c)
	for _, h := range c.Managers() {
		f := out[h.Name]
		f.MountFS, f.MountOK = "fuse.glusterfs", true
		for _, u := range storage.SystemUnits(c, h) {
			f.UnitHashes[u.Path] = storage.UnitHash(u.Content)
		}
		f.Enabled[storage.MountUnitName(sys.Mount)] = true
		f.Enabled[storage.SystemRemountService] = true
		for _, d := range privateDirs(c) {
			f.Modes[d] = "700"
		}
	}
	for _, h := range c.BrickHosts() {
		f := out[h.Name]
		f.Volume = vol
		for _, o := range c.BrickHosts() {
			f.Bricks = append(f.Bricks, storage.BrickStatus{Ref: storage.BrickRef(o, sys), Online: true})
		}
	}
	return out
}

func planSystemFrom(t *testing.T, c *config.Cluster, facts map[string]*storage.HostFacts) string {
	t.Helper()
	e := &env{cluster: c, result: &Result{}}
	steps, err := systemSteps(e, facts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if s.Reason == "" {
			t.Errorf("step %q has no reason", s.Action)
		}
	}
	return actions(steps)
}

func TestPlanSystemStorageFresh(t *testing.T) {
	c := systemTestCluster()
	got := planSystemFrom(t, c, freshSystem(c))
	want := []string{
		"node1: create volume skep-data-system (skep's own state), replica 3, bricks /var/lib/skep/brick-system on node1, node2, node3",
		"node1: set volume option cluster.heal-timeout 10 on volume skep-data-system",
		"node1: set volume option cluster.quorum-type auto on volume skep-data-system",
		"node1: set volume option cluster.self-heal-daemon on on volume skep-data-system",
		"node1: set volume option cluster.server-quorum-type none on volume skep-data-system",
		"node1: set volume option network.ping-timeout 4 on volume skep-data-system",
		"node1: start volume skep-data-system",
	}
	// Managers only: node4 is a worker and never runs the controller.
	for _, h := range []string{"node1", "node2", "node3"} {
		want = append(want,
			h+": write and enable the systemd units that mount /var/lib/skep-system (skep's own state) at boot, before the engine starts containers",
			h+": mount skep-data-system at /var/lib/skep-system")
	}
	want = append(want, "node1: make /var/lib/skep-system and /var/lib/skep-system/controller private (directories, mode 0700)")
	if got != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// A second apply finds nothing to do.
func TestPlanSystemStorageConvergedIsEmpty(t *testing.T) {
	c := systemTestCluster()
	if got := planSystemFrom(t, c, convergedSystem(c)); got != "" {
		t.Fatalf("converged system storage planned:\n%s", got)
	}
	c.ACME = nil // no controller: only the volume's root must be private
	if got := planSystemFrom(t, c, convergedSystem(c)); got != "" {
		t.Fatalf("converged system storage without acme planned:\n%s", got)
	}
}

// The volume follows the storage section: its name, brick, layout,
// options and mount are derived from it.
func TestPlanSystemStorageFollowsStorage(t *testing.T) {
	c := systemTestCluster()
	c.Storage = &config.Storage{Volume: "data", Brick: "/srv/gluster/brick", Mount: "/srv/shared", SystemMount: "/srv/skep",
		Arbiter: true, Options: map[string]string{"performance.cache-size": "64MB"}}
	c.Tuning.StoragePingTimeout = "7s"
	c.ApplyDefaults()
	got := planSystemFrom(t, c, freshSystem(c))
	for _, want := range []string{
		"node1: create volume data-system (skep's own state), replica 3 arbiter 1 (arbiter on node3), bricks /srv/gluster/brick-system on node1, node2, node3",
		"node1: set volume option network.ping-timeout 7 on volume data-system",
		"node1: set volume option performance.cache-size 64MB on volume data-system",
		"node2: mount data-system at /srv/skep",
		"node1: make /srv/skep and /srv/skep/controller private (directories, mode 0700)",
	} {
		if !strings.Contains(got+"\n", want+"\n") {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "/var/") {
		t.Errorf("plan names a default path:\n%s", got)
	}
	want := "docker exec skep-glusterd gluster --mode=script volume create data-system replica 3 arbiter 1 '127.0.0.11:/srv/gluster/brick-system' '127.0.0.12:/srv/gluster/brick-system' '127.0.0.13:/srv/gluster/brick-system'"
	if cmd := storage.CreateVolumeCommand(storage.SystemCluster(c)); cmd != want {
		t.Errorf("create command\n%s\nwant\n%s", cmd, want)
	}
}

func TestPlanSystemStorageRepairs(t *testing.T) {
	c := systemTestCluster()
	f := convergedSystem(c)
	f["node1"].Volume.Options["network.ping-timeout"] = "42" // someone reset an option
	f["node1"].Bricks[1].Online = false                      // node2's system brick died
	f["node2"].MountFS = ""                                  // unmounted
	f["node3"].MountOK = false                               // stalled client
	f["node3"].Enabled[storage.SystemRemountService] = false // unit disabled
	f["node1"].Modes[c.ControllerStateDir()] = "755"         // loosened by hand
	got := planSystemFrom(t, c, f)
	want := strings.Join([]string{
		"node1: set volume option network.ping-timeout 4 on volume skep-data-system",
		"node1: start the offline bricks of node2 on volume skep-data-system (volume start force)",
		"node2: mount skep-data-system at /var/lib/skep-system",
		"node3: write and enable the systemd units that mount /var/lib/skep-system (skep's own state) at boot, before the engine starts containers",
		"node3: remount /var/lib/skep-system",
		"node1: make /var/lib/skep-system and /var/lib/skep-system/controller private (directories, mode 0700)",
	}, "\n")
	if got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	for _, bad := range []string{"delete", "remove", "stop volume"} {
		if strings.Contains(got, bad) {
			t.Errorf("a repair plan says %q", bad)
		}
	}
	// Modes are judged on a manager that has the volume mounted.
	f = convergedSystem(c)
	f["node1"].MountFS, f["node1"].Modes = "", map[string]string{}
	if got := planSystemFrom(t, c, f); got != "node1: mount skep-data-system at /var/lib/skep-system" {
		t.Fatalf("plan:\n%s", got)
	}
}

func TestPlanSystemStorageRefusesToMoveBricks(t *testing.T) {
	c := systemTestCluster()
	f := convergedSystem(c)
	f["node1"].Volume.Bricks[2] = "127.0.0.99:/var/lib/skep/brick-system"
	if _, err := systemSteps(&env{cluster: c, result: &Result{}}, f); err == nil || !strings.Contains(err.Error(), "does not move bricks") {
		t.Fatalf("want a refusal, got %v", err)
	}
}

func TestSystemUnitsAreTheSystemVolumes(t *testing.T) {
	c := systemTestCluster()
	c.Storage.SystemMount = "/srv/skep"
	h, _ := c.HostByName("node2")
	units := storage.SystemUnits(c, h)
	if len(units) != 3 || units[0].Path != "/etc/systemd/system/srv-skep.mount" {
		t.Fatalf("units %+v", units)
	}
	for _, want := range []string{"What=127.0.0.12:/skep-data-system\n", "Where=/srv/skep\n", "backup-volfile-servers=127.0.0.11:127.0.0.13", "DirectoryMode=0700\n"} {
		if !strings.Contains(units[0].Content, want) {
			t.Errorf("mount unit lacks %q:\n%s", want, units[0].Content)
		}
	}
	// None of them is one of the user mount's units.
	for _, u := range storage.Units(c, h) {
		for _, s := range units {
			if s.Path == u.Path {
				t.Errorf("%s is written by both mounts", s.Path)
			}
		}
	}
}
