package storage

import (
	"os"
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
// the controller never runs.
func TestSystemFactsScriptAsksWhatTheHostHas(t *testing.T) {
	c := systemCluster()
	h := c.Hosts[0]
	mgr := SystemFactsScript(c, h, true, false, []string{"/var/lib/skep-system/controller"})
	if strings.Contains(mgr, "gluster ") || !strings.Contains(mgr, "--mountpoint '/var/lib/skep-system'") ||
		!strings.Contains(mgr, "stat -c '%a %n' '/var/lib/skep-system/controller'") {
		t.Errorf("manager script:\n%s", mgr)
	}
	brick := SystemFactsScript(c, h, false, true, nil)
	if strings.Contains(brick, "findmnt") || !strings.Contains(brick, "volume info skep-data-system --xml") {
		t.Errorf("brick script:\n%s", brick)
	}
}

func TestParseSystemFacts(t *testing.T) {
	lab, err := os.ReadFile("testdata/facts-node1.txt")
	if err != nil {
		t.Fatal(err)
	}
	sections := splitSections(string(lab))
	out := "@@skep mount\nfuse.glusterfs\n@@skep modes\n700 /var/lib/skep-system\n755 /var/lib/skep-system/controller\n" +
		"@@skep units\nabc /etc/systemd/system/var-lib-skep\\x2dsystem.mount\n /etc/systemd/system/skep-system-mount.service\n" +
		"@@skep enabled\nvar-lib-skep\\x2dsystem.mount enabled\nskep-system-mount.service disabled\n" +
		"@@skep volinfo\n" + sections["volinfo"] + "@@skep volstatus\n" + sections["volstatus"] + "@@skep mount_ok\nyes\n"
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
	if !f.Asked || f.Volume == nil || !f.Volume.Started || len(f.Bricks) != 3 || f.BricksErr != nil {
		t.Errorf("volume %+v %v bricks %v %v", f.Volume, f.VolumeErr, f.Bricks, f.BricksErr)
	}
	if g := ParseSystemFacts("@@skep mount\n\n@@skep mount_ok\n\n"); g.Mounted() || g.Asked || g.Volume != nil {
		t.Errorf("unmounted, no glusterd: %+v", g)
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
