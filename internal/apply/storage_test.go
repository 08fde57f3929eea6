package apply

import (
	"strings"
	"testing"

	"skep/internal/config"
	"skep/internal/storage"
)

const testGlusterdTag = "skep-glusterd:test"

func storageTestCluster() *config.Cluster {
	c := testCluster("manager", "manager", "manager", "worker")
	c.Storage = &config.Storage{}
	c.ApplyDefaults()
	return c
}

func freshStorage(c *config.Cluster) map[string]*storage.HostFacts {
	out := map[string]*storage.HostFacts{}
	for _, h := range c.Hosts {
		out[h.Name] = &storage.HostFacts{Client: true, UnitHashes: map[string]string{}, Enabled: map[string]bool{}}
	}
	return out
}

// convergedStorage is what the hosts of a finished cluster report.
func convergedStorage(c *config.Cluster) map[string]*storage.HostFacts {
	s := c.Storage
	spec := storage.ContainerSpec(testGlusterdTag, s)
	vol := &storage.Volume{Name: s.Volume, Started: true, Replica: 3, Options: map[string]string{}}
	for _, o := range storage.Options(s, c.Tuning) {
		vol.Options[o.Key] = o.Value
	}
	for _, h := range c.BrickHosts() {
		vol.Bricks = append(vol.Bricks, storage.BrickRef(h, s))
	}
	out := freshStorage(c)
	for _, h := range c.Hosts {
		f := out[h.Name]
		f.MountFS, f.MountOK = "fuse.glusterfs", true
		for _, u := range storage.Units(c, h) {
			f.UnitHashes[u.Path] = storage.UnitHash(u.Content)
		}
		f.Enabled[storage.MountUnitName(s.Mount)] = true
		f.Enabled[storage.RemountService] = true
	}
	for _, h := range c.BrickHosts() {
		f := out[h.Name]
		f.Container, f.Image, f.ConfigHash = "running", testGlusterdTag, spec.Hash
		f.Volume = vol
		for _, o := range c.BrickHosts() {
			if o.Name != h.Name {
				f.Peers = append(f.Peers, storage.Peer{Hostname: o.Address, Connected: true, State: "Peer in Cluster"})
			}
			f.Bricks = append(f.Bricks, storage.BrickStatus{Ref: storage.BrickRef(o, s), Online: true})
		}
	}
	return out
}

func planStorageFrom(t *testing.T, c *config.Cluster, facts map[string]*storage.HostFacts) []string {
	t.Helper()
	e := &env{cluster: c, result: &Result{}}
	steps, err := storageSteps(e, testGlusterdTag, facts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range steps {
		out = append(out, s.Host+": "+s.Action)
	}
	return out
}

func TestPlanStorageFresh(t *testing.T) {
	c := storageTestCluster()
	got := planStorageFrom(t, c, freshStorage(c))
	want := []string{
		"node1: start container skep-glusterd (skep-glusterd:test)",
		"node2: start container skep-glusterd (skep-glusterd:test)",
		"node3: start container skep-glusterd (skep-glusterd:test)",
		"node1: add node2 (127.0.0.12) to the GlusterFS pool",
		"node1: add node3 (127.0.0.13) to the GlusterFS pool",
		"node1: create volume skep-data, replica 3, bricks /var/lib/skep/brick on node1, node2, node3",
		"node1: set volume option cluster.heal-timeout 10",
		"node1: set volume option cluster.quorum-type auto",
		"node1: set volume option cluster.self-heal-daemon on",
		"node1: set volume option cluster.server-quorum-type none",
		"node1: set volume option network.ping-timeout 4",
		"node1: start volume skep-data",
	}
	for _, h := range []string{"node1", "node2", "node3", "node4"} {
		want = append(want,
			h+": write and enable the systemd units that mount /var/data at boot, before the engine starts containers",
			h+": mount skep-data at /var/data")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlanStorageConvergedIsEmpty(t *testing.T) {
	c := storageTestCluster()
	if got := planStorageFrom(t, c, convergedStorage(c)); len(got) != 0 {
		t.Fatalf("converged storage planned %v", got)
	}
}

func TestPlanStorageRepairsWithoutDeleting(t *testing.T) {
	c := storageTestCluster()
	f := convergedStorage(c)
	f["node2"].Container = "exited"                                   // glusterd stopped
	f["node3"].Bricks = nil                                           // node3 cannot tell
	f["node1"].Bricks[2].Online = false                               // node3's brick process died
	f["node4"].MountOK = false                                        // a dead FUSE client
	f["node1"].Volume.Options["network.ping-timeout"] = "42"          // someone reset an option
	f["node3"].Client, f["node3"].MountFS = false, ""                 // client removed, unmounted
	f["node2"].UnitHashes["/etc/systemd/system/var-data.mount"] = "x" // unit edited by hand
	got := strings.Join(planStorageFrom(t, c, f), "\n")
	want := strings.Join([]string{
		"node2: start the stopped container skep-glusterd",
		"node1: set volume option network.ping-timeout 4",
		"node1: start the offline bricks of node3 (volume start force)",
		"node2: write and enable the systemd units that mount /var/data at boot, before the engine starts containers",
		"node3: install the GlusterFS client (glusterfs-client)",
		"node3: mount skep-data at /var/data",
		"node4: remount /var/data",
	}, "\n")
	if got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	for _, bad := range []string{"delete", "remove", "remove-brick", "stop volume"} {
		if strings.Contains(got, bad) {
			t.Errorf("a repair plan says %q", bad)
		}
	}
}

func TestPlanStorageNewImageRecreatesOneByOne(t *testing.T) {
	c := storageTestCluster()
	f := convergedStorage(c)
	for _, h := range c.BrickHosts() {
		f[h.Name].Image = "skep-glusterd:old"
	}
	got := planStorageFrom(t, c, f)
	if len(got) != 3 || !strings.HasPrefix(got[0], "node1: recreate container skep-glusterd (skep-glusterd:test), keeping its state and brick") {
		t.Fatalf("plan %v", got)
	}
}

func TestPlanStorageRefusesToMoveBricks(t *testing.T) {
	c := storageTestCluster()
	f := convergedStorage(c)
	f["node1"].Volume.Bricks[2] = "127.0.0.99:/var/lib/skep/brick"
	e := &env{cluster: c, result: &Result{}}
	if _, err := storageSteps(e, testGlusterdTag, f); err == nil || !strings.Contains(err.Error(), "does not move bricks") {
		t.Fatalf("want a refusal, got %v", err)
	}
}

func TestCreateVolumeArbiter(t *testing.T) {
	c := storageTestCluster()
	c.Storage.Arbiter = true
	got := storage.CreateVolumeCommand(c)
	want := "docker exec skep-glusterd gluster --mode=script volume create skep-data replica 3 arbiter 1 '127.0.0.11:/var/lib/skep/brick' '127.0.0.12:/var/lib/skep/brick' '127.0.0.13:/var/lib/skep/brick'"
	if got != want {
		t.Fatalf("%s\nwant %s", got, want)
	}
	if strings.Contains(got, "force") {
		t.Fatal("volume create with force")
	}
}

func TestPlanStorageLostBrickOnlyWhenAsked(t *testing.T) {
	c := storageTestCluster()
	f := convergedStorage(c)
	f["node2"].BrickLost = "empty"
	f["node1"].Bricks[1].Online = false
	e := &env{cluster: c, result: &Result{}}
	steps, err := storageSteps(e, testGlusterdTag, f)
	if err != nil || len(steps) != 0 {
		t.Fatalf("a lost brick was touched unasked: %v %v", steps, err)
	}
	if len(e.result.Warnings) != 1 || !strings.Contains(e.result.Warnings[0], "replace_lost_bricks") {
		t.Fatalf("warnings %v", e.result.Warnings)
	}
	c.Storage.ReplaceLostBricks = true
	got := planStorageFrom(t, c, f)
	if len(got) != 1 || got[0] != "node2: rebuild the lost brick /var/lib/skep/brick from the other copies (reset-brick, then a full heal)" {
		t.Fatalf("plan %v", got)
	}
	f["node2"].BrickLost = "foreign"
	if got := planStorageFrom(t, c, f); len(got) != 0 {
		t.Fatalf("a brick directory with someone's files was touched: %v", got)
	}
}

// volume status is asked of one brick host at a time: the next only when
// the one before gave no answer, and never of a host that is down.
func TestStatusInTurn(t *testing.T) {
	c := storageTestCluster()
	bricks := c.BrickHosts()
	answer := func(ok bool) *storage.HostFacts {
		f := storage.ParseFacts("@@skep container\nrunning|i|h\n")
		f.Answered["volstatus"] = true
		if !ok {
			f.BricksErr = &storage.NoAnswer{After: "4s"}
		}
		return f
	}
	for _, tc := range []struct {
		name  string
		first bool   // the first brick host answered
		down  string // a brick host whose glusterd does not run
		fails string // a brick host that gives no answer either
		want  string // the hosts asked again, in order
	}{
		{"first answered", true, "", "", ""},
		{"next answers", false, "", "", "node2"},
		{"next is down", false, "node2", "", "node3"},
		{"next fails too", false, "", "node2", "node2 node3"},
	} {
		facts := map[string]*storage.HostFacts{}
		for _, h := range bricks {
			facts[h.Name] = storage.ParseFacts("@@skep container\nrunning|i|h\n")
		}
		facts[bricks[0].Name] = answer(tc.first)
		if tc.down != "" {
			facts[tc.down].Container = "exited"
		}
		var asked []string
		err := statusInTurn(bricks, facts, (*storage.HostFacts).GlusterdRunning, func(name string) (*storage.HostFacts, error) {
			asked = append(asked, name)
			return answer(name != tc.fails), nil
		})
		if err != nil || strings.Join(asked, " ") != tc.want {
			t.Errorf("%s: asked %v (%v), want %q", tc.name, asked, err, tc.want)
		}
		if tc.want != "" {
			last := facts[asked[len(asked)-1]]
			if !last.Answered["volstatus"] || last.BricksErr != nil {
				t.Errorf("%s: the answer is not in the facts: %+v", tc.name, last)
			}
		}
	}
}
