//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// storageReport is the storage section of the status contract.
type storageReport struct {
	Volume  string `json:"volume"`
	Replica int    `json:"replica"`
	Mount   string `json:"mount"`
	Bricks  []struct {
		Node   string `json:"node"`
		Online bool   `json:"online"`
	} `json:"bricks"`
	MountedOn   []string `json:"mounted_on"`
	PendingHeal int      `json:"pending_heal"`
	HealKnown   bool     `json:"heal_known"`
	SplitBrain  int      `json:"split_brain"`
}

func storageStatus(t *testing.T) (*storageReport, statusReport) {
	t.Helper()
	r := skep(t, 30*time.Second, "status", "--lab", labName, "--output", "json")
	var s struct {
		Storage *storageReport `json:"storage"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, r.stdout)
	}
	full, _ := status(t)
	return s.Storage, full
}

// onNode runs a shell script on a lab node (one SSH argument, so the
// remote shell sees it whole) and returns its stdout.
func onNode(t *testing.T, node string, timeout time.Duration, script string) result {
	t.Helper()
	return skep(t, timeout, "lab", "ssh", "--name", labName, node, "--", script)
}

func mustOnNode(t *testing.T, node string, timeout time.Duration, script string) string {
	t.Helper()
	r := onNode(t, node, timeout, script)
	if r.code != 0 {
		t.Fatalf("%s: %s: exit %d\n%s\n%s", node, script, r.code, r.stdout, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// storageSettled: every brick online, mounted everywhere, nothing to heal.
func storageSettled(t *testing.T) (bool, string) {
	st, _ := storageStatus(t)
	if st == nil {
		return false, "no storage section"
	}
	for _, b := range st.Bricks {
		if !b.Online {
			return false, "brick of " + b.Node + " offline"
		}
	}
	// Every host mounts the volume: the three brick hosts and the worker.
	if len(st.MountedOn) != 4 || !st.HealKnown || st.PendingHeal != 0 || st.SplitBrain != 0 {
		return false, fmt.Sprintf("mounted on %v, heal known %v, pending heal %d, split brain %d", st.MountedOn, st.HealKnown, st.PendingHeal, st.SplitBrain)
	}
	return true, ""
}

func TestStorage(t *testing.T) {
	waitHealthy(t, 3*time.Minute)
	run := time.Now().Format("150405")
	mount := labCluster(t).Storage.Mount // the lab's, not the default

	t.Run("status shows the volume healthy", func(t *testing.T) {
		st, _ := storageStatus(t)
		if st == nil || st.Volume != "skep-data" || st.Replica != 3 || st.Mount != mount || len(st.Bricks) != 3 {
			t.Fatalf("storage section %+v", st)
		}
		if ok, why := storageSettled(t); !ok {
			t.Fatal(why)
		}
	})

	t.Run("a file written on node1 is read on node2 and node3", func(t *testing.T) {
		waitHealthy(t, 3*time.Minute)
		f := mount + "/e2e-" + run + "-hello.txt"
		want := "hello from node1 " + run
		mustOnNode(t, "node1", 30*time.Second, fmt.Sprintf("echo '%s' > %s && sync", want, f))
		for _, n := range []string{"node2", "node3"} {
			if got := mustOnNode(t, n, 30*time.Second, "cat "+f); got != want {
				t.Errorf("%s reads %q, want %q", n, got, want)
			}
		}
	})

	t.Run("a killed node comes back and heals 100 files", func(t *testing.T) {
		victim := "node3"
		dir := mount + "/e2e-" + run + "-heal"
		waitHealthy(t, 3*time.Minute)
		restart := inflict(t, "kill", "start", victim)
		write := time.Now()
		sums := mustOnNode(t, "node1", 2*time.Minute, fmt.Sprintf(
			`set -e; mkdir -p %[1]s; cd %[1]s; for i in $(seq 1 100); do head -c $((4096 + i * 37)) /dev/urandom > f$i; done; sync; sha256sum f* | sort -k2`, dir))
		t.Logf("100 files written on node1 with %s down in %.1fs", victim, time.Since(write).Seconds())
		if n := len(strings.Split(sums, "\n")); n != 100 {
			t.Fatalf("%d checksums", n)
		}
		restart()
		started := time.Now()
		took := eventually(t, 60*time.Second, "storage healed after "+victim+" started", func() (bool, string) {
			return storageSettled(t)
		})
		t.Logf("%s started; bricks online, mounted everywhere and pending heal 0 after %.1fs", victim, took.Seconds())
		// The brick itself, not the mount: the copy on the restored node.
		brickDir := "/var/lib/skep/brick/" + filepath.Base(dir)
		got := mustOnNode(t, victim, 30*time.Second, "cd "+brickDir+" && sha256sum f* | sort -k2")
		if got != sums {
			t.Fatalf("%s's brick differs from what was written (%.1fs after start)", victim, time.Since(started).Seconds())
		}
		waitHealthy(t, 3*time.Minute)
	})

	t.Run("a frozen node stalls writes and reads for under 10s", func(t *testing.T) {
		victim := "node3"
		f := mount + "/e2e-" + run + "-frozen.bin"
		waitHealthy(t, 3*time.Minute)
		thaw := inflict(t, "pause", "unpause", victim)
		defer func() {
			thaw()
			took := eventually(t, 2*time.Minute, "storage settled after unpause", func() (bool, string) { return storageSettled(t) })
			t.Logf("storage settled %.1fs after unpause", took.Seconds())
			waitHealthy(t, 3*time.Minute)
		}()
		// The first write after the freeze waits for the client to give the
		// frozen brick up (network.ping-timeout).
		w := onNode(t, "node1", 2*time.Minute, "head -c 1048576 /dev/urandom > "+f+" && sync "+f+" && sha256sum < "+f)
		if w.code != 0 {
			t.Fatalf("write on node1: exit %d: %s", w.code, w.stderr)
		}
		r := onNode(t, "node2", 2*time.Minute, "sha256sum < "+f)
		t.Logf("with %s frozen: write on node1 %.1fs, read on node2 %.1fs (stock settings: ~58s and ~42s)", victim, w.elapsed.Seconds(), r.elapsed.Seconds())
		if r.code != 0 || r.stdout != w.stdout {
			t.Fatalf("read on node2: exit %d, %q vs written %q", r.code, r.stdout, w.stdout)
		}
		if w.elapsed > 10*time.Second || r.elapsed > 10*time.Second {
			t.Fatalf("I/O stalled: write %.1fs, read %.1fs; want under 10s", w.elapsed.Seconds(), r.elapsed.Seconds())
		}
	})

	t.Run("apply on a converged cluster changes no storage", func(t *testing.T) {
		waitHealthy(t, 3*time.Minute)
		r := mustSkep(t, 3*time.Minute, "plan", "--lab", labName, "--output", "json")
		var p struct {
			Steps []struct{ Host, Phase, Action string } `json:"steps"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
			t.Fatalf("plan JSON: %v\n%s", err, r.stdout)
		}
		for _, s := range p.Steps {
			if s.Phase == "storage" || s.Phase == "system storage" {
				t.Errorf("plan has a storage step: %+v", s)
			}
		}
		a := mustSkep(t, 3*time.Minute, "apply", "--lab", labName)
		if !strings.Contains(a.stdout, "nothing to do") {
			t.Fatalf("apply did something:\n%s", a.stdout)
		}
	})

	t.Run("restarting one node's glusterd keeps the volume healthy", func(t *testing.T) {
		waitHealthy(t, 3*time.Minute)
		f := mount + "/e2e-" + run + "-restart.txt"
		mustOnNode(t, "node2", time.Minute, "docker restart skep-glusterd >/dev/null")
		mustOnNode(t, "node1", 30*time.Second, "echo during-restart > "+f)
		took := eventually(t, 60*time.Second, "storage settled after a glusterd restart", func() (bool, string) { return storageSettled(t) })
		t.Logf("settled %.1fs after docker restart skep-glusterd on node2", took.Seconds())
		if got := mustOnNode(t, "node2", 30*time.Second, "cat "+f); got != "during-restart" {
			t.Fatalf("node2 reads %q", got)
		}
		waitHealthy(t, 2*time.Minute)
	})

	t.Run("a lost brick is rebuilt only when asked", func(t *testing.T) {
		victim := "node3"
		lost := "/var/lib/skep/brick.lost-" + run
		// Files of its own, on every brick before one is lost, which the
		// rebuilt brick must get back.
		eventually(t, 2*time.Minute, "storage settled before the brick is lost", func() (bool, string) { return storageSettled(t) })
		dir := mount + "/e2e-" + run + "-rebuild"
		want := mustOnNode(t, "node1", 2*time.Minute, fmt.Sprintf(
			`set -e; mkdir -p %[1]s; cd %[1]s; for i in $(seq 1 20); do head -c $((4096 + i * 37)) /dev/urandom > f$i; done; sync; sha256sum f* | sort -k2`, dir))
		eventually(t, time.Minute, "the files on every brick", func() (bool, string) { return storageSettled(t) })
		// The old brick is moved aside, not deleted: a replaced disk.
		mustOnNode(t, victim, time.Minute, "docker stop skep-glusterd >/dev/null && mv /var/lib/skep/brick "+lost+" && docker start skep-glusterd >/dev/null")
		eventually(t, 60*time.Second, "status reports the lost brick offline", func() (bool, string) {
			st, _ := storageStatus(t)
			return st != nil && len(st.Bricks) == 3 && !st.Bricks[2].Online, fmt.Sprintf("%+v", st)
		})
		p := mustSkep(t, 2*time.Minute, "plan", "--lab", labName)
		if !strings.Contains(p.stdout+p.stderr, "replace_lost_bricks") || strings.Contains(p.stdout, "rebuild the lost brick") {
			t.Fatalf("plan without replace_lost_bricks:\n%s\n%s", p.stdout, p.stderr)
		}
		data, err := os.ReadFile(theLab(t).ClusterFile)
		if err != nil {
			t.Fatal(err)
		}
		asked := strings.Replace(string(data), "\nstorage:\n", "\nstorage:\n  replace_lost_bricks: true\n", 1)
		file := filepath.Join(t.TempDir(), "cluster.yaml")
		if asked == string(data) || os.WriteFile(file, []byte(asked), 0o600) != nil {
			t.Fatalf("cannot write a cluster file asking for the rebuild")
		}
		a := mustSkep(t, 5*time.Minute, "apply", "-f", file)
		if !strings.Contains(a.stdout, "rebuild the lost brick") {
			t.Fatalf("apply did not rebuild:\n%s", a.stdout)
		}
		took := eventually(t, 2*time.Minute, "storage healed after the rebuild", func() (bool, string) { return storageSettled(t) })
		t.Logf("rebuilt brick healed %.1fs after apply", took.Seconds())
		if got := mustOnNode(t, "node1", 30*time.Second, "cd "+dir+" && sha256sum f* | sort -k2"); got != want {
			t.Fatalf("the volume's files changed across the rebuild")
		}
		got := mustOnNode(t, victim, 30*time.Second, "cd /var/lib/skep/brick/"+filepath.Base(dir)+" && sha256sum f* | sort -k2")
		if got != want {
			t.Fatalf("the rebuilt brick on %s differs from the volume", victim)
		}
		waitHealthy(t, 2*time.Minute)
	})

	t.Run("bad storage config is exit 2 with the YAML path", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "cluster.yaml")
		bad := `name: bad
hosts:
  - name: a
    address: 192.0.2.1
  - name: b
    address: 192.0.2.2
swarm:
  allow_unsafe_managers: true
storage:
  replica: 3
  mount: data
  options:
    network.ping-timout: "5"
`
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		r := skep(t, 30*time.Second, "plan", "-f", file)
		if r.code != 2 {
			t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"storage.replica: replica 3 needs at least 3 hosts", "storage.mount: \"data\" is not an absolute path", `storage.options["network.ping-timout"]: unknown`} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
	})
}
