package storage

import (
	"os"
	"testing"
)

// testdata/facts-node1.txt is FactsScript's real output on a healthy lab
// node (GlusterFS 11.1): the XML of peer status, volume info, volume
// status and heal info summary.
func TestParseFactsFromLab(t *testing.T) {
	data, err := os.ReadFile("testdata/facts-node1.txt")
	if err != nil {
		t.Fatal(err)
	}
	f := ParseFacts(string(data))
	if f.Container != "running" || f.Image != "skep-glusterd:5c288a0d532a" || f.ConfigHash != "8c231482ae56695f" {
		t.Errorf("container %q %q %q", f.Container, f.Image, f.ConfigHash)
	}
	if !f.Client || !f.Mounted() || !f.Enabled["var-data.mount"] || !f.Enabled[RemountService] {
		t.Errorf("client %v mount %q/%v enabled %v", f.Client, f.MountFS, f.MountOK, f.Enabled)
	}
	if len(f.UnitHashes) != 3 || f.UnitHashes["/etc/systemd/system/var-data.mount"] == "" {
		t.Errorf("unit hashes %v", f.UnitHashes)
	}
	if f.PeersErr != nil || len(f.Peers) != 2 || !f.Peers[0].Connected || f.Peers[1].Hostname != "10.213.0.13" || f.Peers[0].State != "Peer in Cluster" {
		t.Errorf("peers %+v %v", f.Peers, f.PeersErr)
	}
	v := f.Volume
	if f.VolumeErr != nil || v == nil || !v.Started || v.Replica != 3 || len(v.Bricks) != 3 || v.Options["network.ping-timeout"] != "5" {
		t.Fatalf("volume %+v %v", v, f.VolumeErr)
	}
	if v.Bricks[1] != "10.213.0.12:/var/lib/skep/brick" {
		t.Errorf("bricks %v", v.Bricks)
	}
	if f.BricksErr != nil || len(f.Bricks) != 3 || !f.Bricks[2].Online || f.Bricks[2].Ref != "10.213.0.13:/var/lib/skep/brick" {
		t.Errorf("brick status %+v %v", f.Bricks, f.BricksErr)
	}
	if f.HealErr != nil || len(f.Heal) != 3 || !f.Heal[0].Connected || f.Heal[0].Pending != 0 {
		t.Errorf("heal %+v %v", f.Heal, f.HealErr)
	}
}

func TestParseErrors(t *testing.T) {
	v, err := ParseVolumeInfo(xmlPart("<cliOutput><opRet>-1</opRet><opErrno>30806</opErrno><opErrstr>Volume skep-data does not exist</opErrstr></cliOutput>"))
	if v != nil || err != nil {
		t.Errorf("missing volume: %v %v", v, err)
	}
	if _, err := ParsePeers(xmlPart("Error response from daemon: container is paused\n")); err == nil || err.Error() != "Error response from daemon: container is paused" {
		t.Errorf("docker error: %v", err)
	}
	if _, err := ParseHealSummary(xmlPart("")); err == nil || err.Error() != "no output" || IsNoAnswer(err) {
		t.Errorf("silence: %v", err)
	}
	if _, err := glusterAnswer("skep: no answer in 1.5s\n", ParseHealSummary); !IsNoAnswer(err) || err.Error() != "no answer in 1.5s" {
		t.Errorf("timeout: %v", err)
	}
}

func TestParseBrickSections(t *testing.T) {
	f := ParseFacts("@@skep brick_process\nyes\n@@skep brick_lost\nempty\n@@skep container\nexited|img|<no value>\n")
	if !f.BrickProcess || f.BrickLost != "empty" || f.Container != "exited" || f.ConfigHash != "" {
		t.Fatalf("%+v", f)
	}
	if f := ParseFacts("@@skep brick_lost\n@@skep brick_process\n"); f.BrickLost != "" || f.BrickProcess {
		t.Fatalf("%+v", f)
	}
}
