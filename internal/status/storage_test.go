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

// brickHost is a healthy brick host's storage answer: every brick online as
// this host sees it, mounted, nothing to heal.
func brickHost(c *config.Cluster, i int, online ...bool) *storage.HostFacts {
	f := &storage.HostFacts{Container: "running", MountFS: "fuse.glusterfs", MountOK: true,
		Volume: &storage.Volume{Name: "skep-data", Started: true}, Asked: map[string]bool{"heal": true}}
	for j, h := range c.BrickHosts() {
		if j+1 != i {
			f.Peers = append(f.Peers, storage.Peer{Hostname: h.Address, Connected: online == nil || online[j]})
		}
		on := online == nil || online[j]
		f.Bricks = append(f.Bricks, storage.BrickStatus{Ref: storage.BrickRef(h, c.Storage), Online: on})
		f.Heal = append(f.Heal, storage.HealBrick{Ref: storage.BrickRef(h, c.Storage), Connected: on})
	}
	return f
}

func storageFacts(c *config.Cluster, hosts ...HostFacts) Facts {
	f := facts(hosts...)
	f.File = c
	return f
}

func withStorage(h HostFacts, sf *storage.HostFacts) HostFacts { h.Storage = sf; return h }

func TestStorageHealthy(t *testing.T) {
	c := storageCluster()
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), brickHost(c, 1)),
		withStorage(up(2, true, healthyList()...), brickHost(c, 2)),
		withStorage(up(3, true, healthyList()...), brickHost(c, 3))))
	wantProblems(t, r)
	want := &Storage{Volume: "skep-data", Replica: 3, Mount: "/var/data",
		Bricks:    []Brick{{"node1", true}, {"node2", true}, {"node3", true}},
		MountedOn: []string{"node1", "node2", "node3"}}
	if !reflect.DeepEqual(r.Storage, want) {
		t.Fatalf("storage %+v, want %+v", r.Storage, want)
	}
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
	n2 := brickHost(c, 2, true, true, false)
	n2.MountFS = ""
	n3 := &storage.HostFacts{Container: "exited", MountFS: "fuse.glusterfs", MountOK: false}
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

func TestStorageNoVolumeAndSilentHost(t *testing.T) {
	c := storageCluster()
	empty := &storage.HostFacts{Container: "running", Asked: map[string]bool{"volinfo": true}}
	h3 := up(3, true, healthyList()...)
	h3.StorageErr = errors.New("no answer in time")
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), empty),
		withStorage(up(2, true, healthyList()...), empty),
		h3))
	wantProblems(t, r,
		"storage: volume skep-data unknown: it does not exist; run skep apply",
		"storage: node1: /var/data is not mounted; run skep apply",
		"storage: node2: /var/data is not mounted; run skep apply",
		"storage: node3: mount unknown (no answer in time)")
	if len(r.Storage.Bricks) != 3 || r.Storage.Bricks[0].Online {
		t.Errorf("bricks %+v", r.Storage.Bricks)
	}
}

// A frozen brick host: volume status (a transaction among glusterds) and
// heal info time out on the others; each host's own brick process counts.
func TestStorageFrozenPeer(t *testing.T) {
	c := storageCluster()
	n1, n2 := brickHost(c, 1, true, true, false), brickHost(c, 2, true, true, false)
	for _, f := range []*storage.HostFacts{n1, n2} {
		f.Bricks, f.BricksErr = nil, errors.New("no answer (timed out)")
		f.Heal, f.HealErr = nil, errors.New("no answer (timed out)")
		f.BrickProcess = true
	}
	r := Build(storageFacts(c,
		withStorage(up(1, true, healthyList()...), n1),
		withStorage(up(2, true, healthyList()...), n2),
		dead(3, "manager")))
	if got := r.Storage.Bricks; !reflect.DeepEqual(got, []Brick{{"node1", true}, {"node2", true}, {"node3", false}}) {
		t.Errorf("bricks %+v", got)
	}
	joined := strings.Join(r.Problems, "\n")
	for _, want := range []string{"storage: brick of node3 offline (host not reachable)", "storage: heal status unknown (node1: no answer (timed out))"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
}

func TestNoStorageSection(t *testing.T) {
	r := Build(facts(up(1, true, healthyList()...), up(2, true, healthyList()...), up(3, true, healthyList()...)))
	if r.Storage != nil {
		t.Fatal("storage section without storage configured")
	}
}
