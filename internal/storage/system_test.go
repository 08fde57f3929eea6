package storage

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"skep/internal/config"
)

func systemCluster() *config.Cluster {
	c := &config.Cluster{Storage: &config.Storage{}}
	for i, n := range []string{"node1", "node2", "node3", "node4"} {
		c.Hosts = append(c.Hosts, config.Host{Name: n, Address: "127.0.0.1" + string(rune('1'+i))})
	}
	c.ApplyDefaults()
	return c
}

// A manager is asked about the mount, a brick host about the volume, and
// nothing else: no gluster call where there is no brick, no mount where
// the controller never runs; volume status only when asked (one host).
func TestSystemFactsScriptAsksWhatTheHostHas(t *testing.T) {
	c := systemCluster()
	h := c.Hosts[0]
	mgr := SystemFactsScript(c, h, SystemQuestions{Mount: true, Dirs: []string{"/var/lib/skep-system/controller"}})
	if strings.Contains(mgr, "docker exec") || !strings.Contains(mgr, "--mountpoint '/var/lib/skep-system'") ||
		!strings.Contains(mgr, "stat -c '%a %n' '/var/lib/skep-system/controller'") {
		t.Errorf("manager script:\n%s", mgr)
	}
	brick := SystemFactsScript(c, h, SystemQuestions{VolumeInfo: true})
	if strings.Contains(brick, "findmnt") || !strings.Contains(brick, "ask system_volinfo 4000 volume info skep-data-system") ||
		strings.Contains(brick, "volume status") {
		t.Errorf("brick script:\n%s", brick)
	}
	all := SystemFactsScript(c, h, SystemQuestions{Mount: true, VolumeInfo: true, VolumeStatus: true})
	if n := strings.Count(all, "docker exec"); n != 1 || !strings.Contains(all, "ask system_volstatus 4000 volume status skep-data-system") {
		t.Errorf("%d docker execs:\n%s", n, all)
	}
	if _, err := exec.LookPath("sh"); err == nil {
		if out, err := exec.Command("sh", "-n", "-c", all).CombinedOutput(); err != nil {
			t.Fatalf("sh -n: %v\n%s\n%s", err, out, all)
		}
	}
}

func TestParseSystemFacts(t *testing.T) {
	lab, err := os.ReadFile("testdata/facts-node1.txt")
	if err != nil {
		t.Fatal(err)
	}
	sections := Sections(string(lab))
	out := "@@skep system_mount\nfuse.glusterfs\n@@skep system_modes\n700 /var/lib/skep-system\n755 /var/lib/skep-system/controller\n" +
		"@@skep system_units\nabc /etc/systemd/system/var-lib-skep\\x2dsystem.mount\n /etc/systemd/system/skep-system-mount.service\n" +
		"@@skep system_enabled\nvar-lib-skep\\x2dsystem.mount enabled\nskep-system-mount.service disabled\n" +
		"@@skep system_mount_ok\nyes\n@@skep system_glusterd_exec\n" +
		"@@skep system_volinfo\n" + sections["volinfo"] + "@@skep system_volstatus\n" + sections["volstatus"] + "@@skep end\n"
	f := ParseSystemFacts(out)
	if !f.Mounted() || f.Modes["/var/lib/skep-system"] != "700" || f.Modes["/var/lib/skep-system/controller"] != "755" {
		t.Errorf("mount %q %v modes %v", f.MountFS, f.MountOK, f.Modes)
	}
	if f.UnitHashes[`/etc/systemd/system/var-lib-skep\x2dsystem.mount`] != "abc" || f.UnitHashes["/etc/systemd/system/skep-system-mount.service"] != "" ||
		len(f.UnitHashes) != 2 {
		t.Errorf("unit hashes %v", f.UnitHashes)
	}
	if !f.Enabled[MountUnitName("/var/lib/skep-system")] || f.Enabled[SystemRemountService] {
		t.Errorf("enabled %v", f.Enabled)
	}
	if !f.Answered["volinfo"] || f.Volume == nil || !f.Volume.Started || len(f.Bricks) != 3 || f.BricksErr != nil {
		t.Errorf("volume %+v %v bricks %v %v", f.Volume, f.VolumeErr, f.Bricks, f.BricksErr)
	}
	if g := ParseSystemFacts("@@skep system_mount\n\n@@skep system_mount_ok\n\n"); g.Mounted() || g.Answered["volinfo"] || g.Volume != nil {
		t.Errorf("unmounted, no glusterd: %+v", g)
	}
	// The user volume's facts hold the system volume's apart.
	u := ParseFacts(string(lab) + out)
	if u.System == nil || !u.System.Mounted() || u.Answered["system_mount"] || u.System.Answered["container"] || u.MountFS != "fuse.glusterfs" {
		t.Errorf("user facts %+v, system %+v", u, u.System)
	}
	if ParseFacts(string(lab)).System != nil {
		t.Error("system facts without a system section")
	}
}

func TestSystemRemountUnescapes(t *testing.T) {
	c := systemCluster()
	units := SystemUnits(c, c.Hosts[3])
	// ExecStart= undoes C escapes: the doubled backslash names the unit.
	if !strings.Contains(units[2].Content, `ExecStart=/bin/systemctl start var-lib-skep\\x2dsystem.mount`) ||
		!strings.Contains(units[1].Content, `After=var-lib-skep\x2dsystem.mount`) {
		t.Errorf("units:\n%s\n%s", units[1].Content, units[2].Content)
	}
	// node4 has no brick: it fetches the layout from the brick hosts.
	if !strings.Contains(units[0].Content, "What=127.0.0.11:/skep-data-system\n") {
		t.Errorf("mount unit:\n%s", units[0].Content)
	}
}
