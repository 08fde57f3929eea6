package status

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"skep/internal/config"
	"skep/internal/storage"
)

func storageCluster() *config.Cluster {
	c := &config.Cluster{Name: "skep", Storage: &config.Storage{}}
	for i := 1; i <= 3; i++ {
		c.Hosts = append(c.Hosts, config.Host{Name: name(i), Address: addr(i), Role: "manager"})
	}
	c.ApplyDefaults()
	return c
}

// localHost is a healthy brick host's answer to its local questions:
// glusterd and its brick process run, the volume mounted and answering,
// connected to the peers online says (all by default).
func localHost(c *config.Cluster, i int, online ...bool) *storage.HostFacts {
	f := &storage.HostFacts{Container: "running", MountFS: "fuse.glusterfs", MountOK: true, BrickProcess: true,
		Volume: &storage.Volume{Name: "skep-data", Started: true},
		Answered: map[string]bool{"container": true, "mount": true, "mount_ok": true, "brick_process": true,
			"brick_lost": true, "peers": true, "volinfo": true}}
	for j, h := range c.BrickHosts() {
		if j+1 != i {
			f.Peers = append(f.Peers, storage.Peer{Hostname: h.Address, Connected: online == nil || online[j]})
		}
	}
	f.System = systemMounted()
	return f
}

// systemMounted is a manager's answer about skep's own volume's mount:
// mounted and answering.
func systemMounted() *storage.HostFacts {
	return &storage.HostFacts{MountFS: "fuse.glusterfs", MountOK: true, BrickProcess: true,
		Answered: map[string]bool{"mount": true, "mount_ok": true, "brick_process": true}}
}

// hostOnly is a healthy brick host that was asked its per-host facts
// only (glusterd, brick process, mount), as every host but the one that
// asks GlusterFS is.
func hostOnly(c *config.Cluster, i int) *storage.HostFacts {
	return &storage.HostFacts{Container: "running", MountFS: "fuse.glusterfs", MountOK: true, BrickProcess: true,
		Answered: map[string]bool{"container": true, "mount": true, "mount_ok": true, "brick_process": true},
		System:   systemMounted()}
}

// brickHost is localHost that also answered the cluster-wide questions:
// every brick online as online says, nothing to heal; every brick of
// skep's own volume online.
func brickHost(c *config.Cluster, i int, online ...bool) *storage.HostFacts {
	f := localHost(c, i, online...)
	f.Answered["volstatus"], f.Answered["heal"] = true, true
	f.System.Answered["volstatus"] = true
	for j, h := range c.BrickHosts() {
		on := online == nil || online[j]
		f.Bricks = append(f.Bricks, storage.BrickStatus{Ref: storage.BrickRef(h, c.Storage), Online: on})
		f.Heal = append(f.Heal, storage.HealBrick{Ref: storage.BrickRef(h, c.Storage), Connected: on})
		f.System.Bricks = append(f.System.Bricks, storage.BrickStatus{Ref: storage.BrickRef(h, c.Storage.System()), Online: true})
	}
	return f
}

func storageFacts(c *config.Cluster, hosts ...HostFacts) Facts {
	f := facts(hosts...)
	f.File = c
	return f
}

func withStorage(h HostFacts, sf *storage.HostFacts) HostFacts { h.Storage = sf; return h }

// One brick host asked GlusterFS; the others told their own facts only.
func TestStorageHealthy(t *testing.T) {
	c := storageCluster()
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), brickHost(c, 1)),
		withStorage(up(2, true, healthyList()...), hostOnly(c, 2)),
		withStorage(up(3, true, healthyList()...), hostOnly(c, 3))))
	wantProblems(t, r)
	wantUnknown(t, r)
	want := &Storage{Volume: "skep-data", Replica: 3, Mount: "/var/data",
		Bricks:    []Brick{{"node1", true}, {"node2", true}, {"node3", true}},
		MountedOn: []string{"node1", "node2", "node3"}, HealKnown: true}
	if !reflect.DeepEqual(r.Storage, want) {
		t.Fatalf("storage %+v, want %+v", r.Storage, want)
	}
}

// The asker (node1) was dead: node2 answered instead.
func TestStorageAnswerFromTheNextBrickHost(t *testing.T) {
	c := storageCluster()
	n2 := brickHost(c, 2, false, true, true)
	n2.Heal[2].Pending = 3
	r := Build(storageFacts(c,
		dead(1, "manager"),
		withStorage(up(2, true, healthyList()...), n2),
		withStorage(up(3, true, healthyList()...), localHost(c, 3, false, true, true))))
	wantProblems(t, r,
		"node1: not reachable over SSH (dial tcp 127.0.0.11:22: i/o timeout)",
		"storage: brick of node1 offline (host not reachable)",
		"storage: 3 entries pending heal (the self-heal daemon copies them; watch with gluster volume heal skep-data info)")
	wantUnknown(t, r)
}

func TestStorageNodeDownPendingHeal(t *testing.T) {
	c := storageCluster()
	n1 := brickHost(c, 1, true, true, false)
	n1.Heal[0].Pending, n1.Heal[1].Pending = 100, 100
	// node2 is cut off: it sees only its own brick, so its view must lose.
	n2 := brickHost(c, 2, false, true, false)
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), n1),
		withStorage(up(2, true, healthyList()...), n2),
		dead(3, "manager")))
	if r.Healthy {
		t.Fatal("healthy with a dead brick host")
	}
	if got := r.Storage.Bricks; !reflect.DeepEqual(got, []Brick{{"node1", true}, {"node2", true}, {"node3", false}}) {
		t.Errorf("bricks %+v", got)
	}
	if r.Storage.PendingHeal != 200 || !reflect.DeepEqual(r.Storage.MountedOn, []string{"node1", "node2"}) {
		t.Errorf("storage %+v", r.Storage)
	}
	joined := strings.Join(r.Problems, "\n")
	for _, want := range []string{"storage: brick of node3 offline (host not reachable)", "storage: 200 entries pending heal"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "node3: /var/data") {
		t.Errorf("an unreachable host's mount is reported twice:\n%s", joined)
	}
}

func TestStorageSplitBrainUnmountedStoppedGlusterd(t *testing.T) {
	c := storageCluster()
	n1 := brickHost(c, 1, true, true, false)
	n1.Heal[1].SplitBrain = 2
	n2 := localHost(c, 2, true, true, false)
	n2.MountFS = ""
	n3 := &storage.HostFacts{Container: "exited", MountFS: "fuse.glusterfs", MountOK: false,
		Answered: map[string]bool{"container": true, "mount": true, "mount_ok": true}}
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), n1),
		withStorage(up(2, true, healthyList()...), n2),
		withStorage(up(3, true, healthyList()...), n3)))
	wantProblems(t, r,
		"storage: brick of node3 offline: skep-glusterd is exited; run skep apply",
		"storage: node2: /var/data is not mounted; run skep apply",
		"storage: node3: /var/data is mounted but does not answer",
		"storage: 2 entries in split brain: GlusterFS will not pick a copy on its own; resolve with gluster volume heal skep-data split-brain")
	if r.Storage.SplitBrain != 2 {
		t.Errorf("split brain %d", r.Storage.SplitBrain)
	}
}

// Without an answer to volume status, each host's word on its glusterd
// and brick process counts: those are answers, so faults.
func TestStorageBricksByTheirHosts(t *testing.T) {
	c := storageCluster()
	n1 := localHost(c, 1)
	n1.Answered["volstatus"], n1.BricksErr = true, &storage.NoAnswer{After: "2s"}
	n1.Answered["heal"], n1.HealErr = true, &storage.NoAnswer{After: "0s (no time left)"}
	n1.System.Answered["volstatus"], n1.System.BricksErr = true, &storage.NoAnswer{After: "0s (no time left)"}
	n2 := localHost(c, 2)
	n2.BrickProcess = false
	n3 := localHost(c, 3)
	n3.Container = "exited"
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), n1),
		withStorage(up(2, true, healthyList()...), n2),
		withStorage(up(3, true, healthyList()...), n3)))
	wantProblems(t, r,
		"storage: brick of node2 offline (its brick process does not run); run skep apply (it starts missing bricks), or see docker logs skep-glusterd on node2",
		"storage: brick of node3 offline: skep-glusterd is exited; run skep apply")
	wantUnknown(t, r,
		"storage: volume status not known (node1: no answer in 2s); bricks judged by each host's brick process",
		"storage: heal status not known (node1: no answer in 0s (no time left))")
}

func TestStorageNoVolumeAndSilentHost(t *testing.T) {
	c := storageCluster()
	empty := &storage.HostFacts{Container: "running", Answered: map[string]bool{"container": true, "mount": true, "mount_ok": true, "volinfo": true},
		System: &storage.HostFacts{BricksErr: errors.New("Volume skep-data-system does not exist"),
			Answered: map[string]bool{"mount": true, "mount_ok": true, "volstatus": true}}}
	h3 := up(3, true, healthyList()...)
	h3.StorageErr = &storage.NoAnswer{After: "3s"}
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), empty),
		withStorage(up(2, true, healthyList()...), empty),
		h3))
	wantProblems(t, r,
		"storage: volume skep-data does not exist; run skep apply",
		"storage: node1: /var/data is not mounted; run skep apply",
		"storage: node2: /var/data is not mounted; run skep apply",
		"storage: node1: /var/lib/skep-system (skep's own volume skep-data-system) is not mounted; run skep apply",
		"storage: node2: /var/lib/skep-system (skep's own volume skep-data-system) is not mounted; run skep apply")
	wantUnknown(t, r, "storage: node3: mount not known (no answer in 3s)",
		"storage: node3: mount of /var/lib/skep-system not known (no answer in 3s)",
		"storage: node1: brick of skep's own volume skep-data-system not known (no answer in time)",
		"storage: node2: brick of skep's own volume skep-data-system not known (no answer in time)",
		"storage: node3: brick of skep's own volume skep-data-system not known (no answer in time)")
	if len(r.Storage.Bricks) != 3 || r.Storage.Bricks[0].Online {
		t.Errorf("bricks %+v", r.Storage.Bricks)
	}
}

// A healthy cluster whose hosts were slow: what did not come back in time
// is not known, and the cluster stays healthy.
func TestStorageSlowAnswersAreNotKnown(t *testing.T) {
	c := storageCluster()
	n1 := localHost(c, 1)
	n1.Answered["volstatus"], n1.BricksErr = true, &storage.NoAnswer{After: "2s"}
	// Cut off after its quick facts: no mount answer, no brick process.
	n2 := &storage.HostFacts{Container: "running", MountFS: "fuse.glusterfs", Answered: map[string]bool{"container": true, "mount": true}}
	h2 := withStorage(up(2, true, healthyList()...), n2)
	h2.StorageErr = &storage.NoAnswer{After: "3s"}
	h3 := up(3, true, healthyList()...)
	h3.StorageErr = &storage.NoAnswer{After: "3s"}
	r := Build(storageFacts(c, withStorage(up(1, true, healthyList()...), n1), h2, h3))
	wantProblems(t, r)
	wantUnknown(t, r,
		"storage: volume status not known (node1: no answer in 2s); bricks judged by each host's brick process",
		"storage: brick of node2 not known (no answer in 3s)",
		"storage: brick of node3 not known (no answer in 3s)",
		"storage: node2: whether /var/data answers is not known (no answer in 3s)",
		"storage: node3: mount not known (no answer in 3s)",
		"storage: heal status not known (no brick host answered in time)",
		"storage: node2: mount of /var/lib/skep-system not known (no answer in 3s)",
		"storage: node3: mount of /var/lib/skep-system not known (no answer in 3s)",
		"storage: node2: brick of skep's own volume skep-data-system not known (no answer in time)",
		"storage: node3: brick of skep's own volume skep-data-system not known (no answer in time)")
	if !r.Healthy {
		t.Error("unhealthy for want of answers")
	}
}

// The host that asks GlusterFS answered nothing of it in time, the others
// were not asked: the volume is not known, the bricks are judged by their
// hosts, and a stopped glusterd is still a problem.
func TestStorageAskerSilent(t *testing.T) {
	c := storageCluster()
	n1 := hostOnly(c, 1)
	h1 := withStorage(up(1, true, healthyList()...), n1)
	h1.StorageErr = &storage.NoAnswer{After: "3s"}
	n3 := hostOnly(c, 3)
	n3.Container = "restarting"
	r := Build(storageFacts(c, h1, withStorage(up(2, true, healthyList()...), hostOnly(c, 2)), withStorage(up(3, true, healthyList()...), n3)))
	wantProblems(t, r, "storage: node3: skep-glusterd is restarting; run skep apply")
	wantUnknown(t, r, "storage: volume skep-data not known (no brick host answered in time)")
}

// No brick host knows the volume because none answered: not known; one
// whose glusterd fails: a problem.
func TestStorageVolumeNotKnownVersusFailing(t *testing.T) {
	c := storageCluster()
	silentHost := func(i int) HostFacts {
		h := up(i, true, healthyList()...)
		h.StorageErr = &storage.NoAnswer{After: "3s"}
		return h
	}
	r := Build(storageFacts(c, silentHost(1), silentHost(2), silentHost(3)))
	wantProblems(t, r)
	if len(r.Unknown) == 0 || r.Unknown[0] != "storage: volume skep-data not known (no brick host answered in time)" {
		t.Errorf("unknown %q", r.Unknown)
	}

	failing := localHost(c, 1)
	failing.Volume, failing.VolumeErr = nil, &storage.NoAnswer{After: "4s"}
	broken := localHost(c, 2)
	broken.Volume, broken.VolumeErr = nil, errorString("Connection failed. Please check if gluster daemon is operational.")
	r = Build(storageFacts(c, withStorage(up(1, true, healthyList()...), failing), withStorage(up(2, true, healthyList()...), broken), silentHost(3)))
	wantProblems(t, r, "storage: volume skep-data unknown: no brick host could tell (node2: volume info: Connection failed. Please check if gluster daemon is operational.)")
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestNoStorageSection(t *testing.T) {
	r := Build(facts(up(1, true, healthyList()...), up(2, true, healthyList()...), up(3, true, healthyList()...)))
	if r.Storage != nil {
		t.Fatal("storage section without storage configured")
	}
}

// A node just back: its brick is up but not yet connected to the heal
// check, so "0 pending" is not an answer for it.
func TestStorageHealNotKnownForAReturningBrick(t *testing.T) {
	c := storageCluster()
	n1 := brickHost(c, 1)
	n1.Heal[2].Connected = false
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), n1),
		withStorage(up(2, true, healthyList()...), hostOnly(c, 2)),
		withStorage(up(3, true, healthyList()...), hostOnly(c, 3))))
	if r.Storage.HealKnown {
		t.Errorf("heal known with node3's brick not connected to the heal check: %+v", r.Storage)
	}
	wantUnknown(t, r, "storage: heal status of node3's brick not known (not connected to the heal check yet)")
}
