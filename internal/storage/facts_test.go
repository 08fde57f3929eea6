package storage

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFactsScriptIsValidShell(t *testing.T) {
	c := testCluster(3)
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	all := Questions{Brick: true, Gluster: true, VolumeStatus: true, Heal: true}
	for _, q := range []Questions{{}, {Brick: true}, {Brick: true, Gluster: true}, all, {VolumeStatus: true, Heal: true}} {
		script := FactsScript(c, c.Hosts[0], q)
		if out, err := exec.Command("sh", "-n", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("sh -n: %v\n%s\n%s", err, out, script)
		}
		if out, err := exec.Command("sh", "-n", "-c", glusterScript(c.Storage, q)).CombinedOutput(); err != nil {
			t.Fatalf("sh -n (in the container): %v\n%s", err, out)
		}
		// One docker exec at most, whatever is asked.
		if n := strings.Count(script, "docker exec"); n > 1 || (n == 1) != (q.Gluster || q.VolumeStatus || q.Heal) {
			t.Errorf("%+v: %d docker execs:\n%s", q, n, script)
		}
	}
	script := FactsScript(c, c.Hosts[0], all)
	for _, want := range []string{"ask peers 4000 peer status", "ask heal 4000 volume heal skep-data info summary", "'/var/data'"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	if !strings.Contains(script, "pgrep") || strings.Contains(FactsScript(c, c.Hosts[0], Questions{Gluster: true}), "pgrep") {
		t.Error("the brick process is asked exactly with Brick")
	}
	local := FactsScript(c, c.Hosts[0], Questions{Brick: true, Gluster: true})
	if strings.Contains(local, "heal") || strings.Contains(local, "volume status") {
		t.Error("a cluster-wide question asked without being wanted")
	}
}

// fakeGluster puts a gluster on PATH that sleeps as long as its subcommand
// says (volume status: statusSleep, others: 0.1 s) and logs when each call
// starts and ends, so the test sees which calls overlapped.
func fakeGluster(t *testing.T, statusSleep string) (dir, log string) {
	t.Helper()
	dir = t.TempDir()
	log = filepath.Join(dir, "log")
	script := `#!/bin/sh
what="$3"
[ "$2" = "volume" ] && what="$3"
[ "$2" = "peer" ] && what=peer
s=0.1
[ "$what" = status ] && s=` + statusSleep + `
echo "start $what $(date +%s%3N)" >>` + log + `
sleep "$s"
echo "end $what $(date +%s%3N)" >>` + log + `
echo '<?xml version="1.0"?><cliOutput><opRet>0</opRet></cliOutput>'
`
	if err := os.WriteFile(filepath.Join(dir, "gluster"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, log
}

func runGlusterScript(t *testing.T, dir string, q Questions, budget time.Duration) (string, time.Duration) {
	t.Helper()
	if out, err := exec.Command("date", "+%s%3N").Output(); err != nil || strings.Contains(string(out), "N") {
		t.Skip("no GNU date")
	}
	if _, err := exec.LookPath("timeout"); err != nil {
		t.Skip("no timeout(1)")
	}
	c := testCluster(3)
	c.Storage.Brick = t.TempDir()
	cmd := exec.Command("sh", "-c", glusterScript(c.Storage, q))
	end := time.Now().Add(budget).UnixMilli()
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "SKEP_END="+strconv.FormatInt(end, 10))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return string(out), time.Since(start)
}

// The cluster-wide questions run one after the other, never together; the
// local ones beside them.
func TestGlusterScriptAsksTransactionsInTurn(t *testing.T) {
	dir, log := fakeGluster(t, "0.3")
	out, _ := runGlusterScript(t, dir, Questions{Gluster: true, VolumeStatus: true, Heal: true}, 10*time.Second)
	f := ParseFacts(out)
	for _, n := range []string{"peers", "volinfo", "volstatus", "heal", "brick_lost"} {
		if !f.Answered[n] {
			t.Errorf("%s not answered:\n%s", n, out)
		}
	}
	if f.BricksErr != nil || f.HealErr != nil {
		t.Errorf("errors %v %v", f.BricksErr, f.HealErr)
	}
	data, _ := os.ReadFile(log)
	var statusEnd, healStart int64
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		ms, _ := strconv.ParseInt(f[2], 10, 64)
		switch f[0] + " " + f[1] {
		case "end status":
			statusEnd = ms
		case "start heal":
			healStart = ms
		}
	}
	if statusEnd == 0 || healStart == 0 || healStart < statusEnd {
		t.Errorf("heal info started before volume status ended:\n%s", data)
	}
}

// A question that would outlive the budget is cut and reported as not
// answered; one with no time left is not started.
func TestGlusterScriptKeepsToItsBudget(t *testing.T) {
	dir, log := fakeGluster(t, "5")
	out, took := runGlusterScript(t, dir, Questions{VolumeStatus: true, Heal: true}, 1200*time.Millisecond)
	if took > 2*time.Second {
		t.Errorf("took %s with a budget of 1.2s", took)
	}
	f := ParseFacts(out)
	if !IsNoAnswer(f.BricksErr) || !IsNoAnswer(f.HealErr) {
		t.Fatalf("volstatus %v, heal %v; want no answer\n%s", f.BricksErr, f.HealErr, out)
	}
	if !strings.Contains(f.HealErr.Error(), "no time left") {
		t.Errorf("heal: %v", f.HealErr)
	}
	if data, _ := os.ReadFile(log); strings.Contains(string(data), "heal") {
		t.Errorf("heal started with no time left:\n%s", data)
	}
}

func TestWholeDropsACutSection(t *testing.T) {
	full := "@@skep container\nrunning|img|h\n@@skep mount\nfuse.glusterfs\n@@skep volstatus\n<?xml ver"
	f := ParseFacts(Whole(full))
	if !f.Answered["mount"] || f.Answered["volstatus"] || f.MountFS != "fuse.glusterfs" {
		t.Errorf("answered %v mount %q", f.Answered, f.MountFS)
	}
	done := "@@skep mount\nfuse.glusterfs\n@@skep end\n"
	if Whole(done) != done {
		t.Errorf("an ended output was cut: %q", Whole(done))
	}
	if got := Whole("@@skep container\nrunn"); got != "" {
		t.Errorf("a lone cut section kept: %q", got)
	}
}

// skep's own volume's status is asked in the same docker exec, after the
// user volume's cluster-wide questions: never two transactions at once.
func TestGlusterScriptAsksTheSystemVolumeLast(t *testing.T) {
	c := testCluster(3)
	script := FactsScript(c, c.Hosts[0], Questions{Brick: true, Gluster: true, VolumeStatus: true, Heal: true, SystemStatus: true, SystemMount: true})
	if n := strings.Count(script, "docker exec"); n != 1 {
		t.Errorf("%d docker execs:\n%s", n, script)
	}
	if !strings.Contains(script, "--mountpoint '/var/lib/skep-system'") || !strings.Contains(script, "wait $system_sp") {
		t.Errorf("the system mount not asked:\n%s", script)
	}
	dir, log := fakeGluster(t, "0.3")
	out, _ := runGlusterScript(t, dir, Questions{VolumeStatus: true, Heal: true, SystemStatus: true}, 10*time.Second)
	f := ParseFacts(out)
	if f.System == nil || !f.System.Answered["volstatus"] || f.System.BricksErr != nil || !f.Answered["volstatus"] || !f.Answered["heal"] {
		t.Fatalf("facts %+v system %+v\n%q", f, f.System, out)
	}
	data, _ := os.ReadFile(log)
	var order []string
	running := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fields := strings.Fields(line)
		if fields[0] == "start" {
			running++
			order = append(order, fields[1])
		} else {
			running--
		}
		if running > 1 {
			t.Fatalf("two transactions at once:\n%s", data)
		}
	}
	if strings.Join(order, " ") != "status heal status" {
		t.Errorf("order %v", order)
	}
}

// Status asks no unit files (apply's concern) and no container where no
// brick is; apply still asks both.
func TestStatusOnlyLeavesOutApplysQuestions(t *testing.T) {
	c := testCluster(3)
	h := c.Hosts[0]
	status := FactsScript(c, h, Questions{StatusOnly: true})
	if strings.Contains(status, "systemctl is-enabled") || strings.Contains(status, "sha256sum") {
		t.Errorf("status asks about unit files:\n%s", status)
	}
	if strings.Contains(status, "docker inspect") {
		t.Errorf("status asks a host without a brick about the GlusterFS container:\n%s", status)
	}
	if brick := FactsScript(c, h, Questions{StatusOnly: true, Brick: true}); !strings.Contains(brick, "docker inspect") {
		t.Errorf("status does not ask a brick host about its GlusterFS container:\n%s", brick)
	}
	apply := FactsScript(c, h, Questions{})
	for _, want := range []string{"systemctl is-enabled", "sha256sum", "docker inspect"} {
		if !strings.Contains(apply, want) {
			t.Errorf("apply's script lacks %q", want)
		}
	}
}
