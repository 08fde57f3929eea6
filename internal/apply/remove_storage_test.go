package apply

import (
	"strings"
	"testing"

	"skep/internal/config"
)

func removeEnv(removeData bool) *env {
	c := testCluster("manager", "manager", "manager", "worker")
	return &env{cluster: c, result: &Result{}, opts: Options{RemoveData: removeData}}
}

// leftStorage is what hosts report after an apply of the default storage
// section, which the cluster file then dropped: containers, units and
// both volumes' bricks on the brick hosts, units only on the fourth.
func leftStorage(c *config.Cluster) map[string]*storageLeft {
	units := []leftUnit{
		{Path: "/etc/systemd/system/var-data.mount", Where: "/var/data"},
		{Path: "/etc/systemd/system/skep-storage-mount.service"},
		{Path: "/etc/systemd/system/docker.service.d/skep-storage.conf"},
	}
	var bricks []leftBrick
	for _, h := range c.Hosts[:3] {
		bricks = append(bricks, leftBrick{"skep-data", h.Address + ":/var/lib/skep/brick"},
			leftBrick{"skep-data-system", h.Address + ":/var/lib/skep/brick-system"})
	}
	out := map[string]*storageLeft{}
	for i, h := range c.Hosts {
		l := &storageLeft{Units: units}
		if i < 3 {
			l.Container, l.Bricks, l.State = "running", bricks, true
		}
		out[h.Name] = l
	}
	return out
}

func TestParseStorageLeft(t *testing.T) {
	out := "@@skep container\nrunning\n@@skep units\n/etc/systemd/system/var-data.mount\t/var/data\n" +
		"/etc/systemd/system/skep-storage-mount.service\t\n@@skep bricks\nskep-data\t127.0.0.11:/var/lib/skep/brick\n" +
		"@@skep state\nyes\n@@skep end\n"
	l := parseStorageLeft(out)
	if l.Container != "running" || !l.State || len(l.Units) != 2 || l.Units[0].Where != "/var/data" || l.Units[1].Where != "" ||
		len(l.Bricks) != 1 || l.Bricks[0] != (leftBrick{"skep-data", "127.0.0.11:/var/lib/skep/brick"}) {
		t.Fatalf("parsed %+v", l)
	}
	if !parseStorageLeft("@@skep container\n@@skep units\n@@skep bricks\n@@skep state\n@@skep end\n").Empty() {
		t.Fatal("a host without skep's storage must report nothing")
	}
}

func TestRemoveStorageNothingWhenDeclaredOrAbsent(t *testing.T) {
	e := removeEnv(true)
	e.cluster.Storage = &config.Storage{}
	// Declared: nothing is asked of any host (there are none here).
	if steps, err := planRemoveStorage(t.Context(), e); err != nil || steps != nil {
		t.Fatalf("declared storage: %v, %v", steps, err)
	}
	empty := map[string]*storageLeft{}
	for _, h := range e.cluster.Hosts {
		empty[h.Name] = &storageLeft{}
	}
	if got := storageRemovalSteps(e, empty); len(got) != 0 {
		t.Fatalf("nothing left, yet:\n%s", actions(got))
	}
}

func TestRemoveStorageKeepsData(t *testing.T) {
	e := removeEnv(false)
	steps := storageRemovalSteps(e, leftStorage(e.cluster))
	want := strings.Join([]string{
		"node1: unmount and disable the GlusterFS mounts /var/data and their systemd units",
		"node2: unmount and disable the GlusterFS mounts /var/data and their systemd units",
		"node3: unmount and disable the GlusterFS mounts /var/data and their systemd units",
		"node4: unmount and disable the GlusterFS mounts /var/data and their systemd units",
		"node1: remove container skep-glusterd",
		"node2: remove container skep-glusterd",
		"node3: remove container skep-glusterd",
	}, "\n")
	if got := actions(steps); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	r := steps[4].Reason
	for _, s := range []string{"kept on disk", "/var/lib/skep/brick, /var/lib/skep/brick-system", "/var/lib/skep/glusterd", "--remove-data"} {
		if !strings.Contains(r, s) {
			t.Errorf("reason %q does not say %q", r, s)
		}
	}
}

func TestRemoveStorageWithData(t *testing.T) {
	e := removeEnv(true)
	left := leftStorage(e.cluster)
	left["node1"].Container = "exited" // the volumes are deleted through a glusterd that runs
	steps := storageRemovalSteps(e, left)
	dirs := "delete /var/lib/skep/brick, /var/lib/skep/brick-system, /var/lib/skep/glusterd, /var/log/skep/glusterfs"
	want := strings.Join([]string{
		"node1: unmount and disable the GlusterFS mounts /var/data and their systemd units",
		"node2: unmount and disable the GlusterFS mounts /var/data and their systemd units",
		"node3: unmount and disable the GlusterFS mounts /var/data and their systemd units",
		"node4: unmount and disable the GlusterFS mounts /var/data and their systemd units",
		"node2: stop and delete the GlusterFS volumes skep-data, skep-data-system",
		"node1: remove container skep-glusterd",
		"node2: remove container skep-glusterd",
		"node3: remove container skep-glusterd",
		"node1: " + dirs,
		"node2: " + dirs,
		"node3: " + dirs,
	}, "\n")
	if got := actions(steps); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(steps[5].Reason, "kept") {
		t.Errorf("with --remove-data nothing is said to be kept: %q", steps[5].Reason)
	}
}

func TestOwnBricksNeverWide(t *testing.T) {
	e := removeEnv(true)
	l := &storageLeft{Bricks: []leftBrick{
		{"a", "127.0.0.11:/"}, {"a", "127.0.0.11:/var"}, {"a", "127.0.0.11:relative/x"}, {"a", "127.0.0.11:/srv/../etc"},
		{"a", "127.0.0.12:/srv/b"}, {"a", "127.0.0.11:/srv/b"}, {"b", "127.0.0.11:/srv/b"},
	}}
	if got := ownBricks(e, "node1", l); strings.Join(got, " ") != "/srv/b" {
		t.Fatalf("ownBricks = %q, want only /srv/b", got)
	}
}

func TestUnmountScript(t *testing.T) {
	got := unmountScript(leftStorage(removeEnv(false).cluster)["node1"].Units)
	want := `systemctl disable --now 'skep-storage-mount.service' >/dev/null 2>&1 || true
systemctl disable --now 'var-data.mount' >/dev/null 2>&1 || true
if findmnt -rn --mountpoint '/var/data' >/dev/null; then umount -l '/var/data'; fi
rm -f -- '/etc/systemd/system/var-data.mount' '/etc/systemd/system/skep-storage-mount.service' '/etc/systemd/system/docker.service.d/skep-storage.conf'
systemctl daemon-reload
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
