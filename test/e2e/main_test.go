//go:build e2e

// Package e2e runs skep end to end on a real lab: machine-like node
// containers with their own Docker engines, driven over SSH. One lab is
// shared by the scenarios, in order; each subtest starts from a healthy lab
// and undoes its faults. The lab has three managers and a worker; the last
// test (TestWorker) drops the worker and then every section from the
// cluster file, so it must stay last.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"skep/internal/config"
)

// labName keeps the tests' lab apart from a user's default lab "skep";
// SKEP_E2E_LAB lets several test runs share a machine.
var labName = envOr("SKEP_E2E_LAB", "e2e")

// labStorageMount is the lab's storage.mount: not the default, so every
// scenario shows that skep follows the cluster file (the controller's
// state included) rather than a built-in /var/data.
const labStorageMount = "/srv/shared"

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

var skepBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "skep-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	skepBin = filepath.Join(dir, "skep")
	build := exec.Command("go", "build", "-o", skepBin, "../../cmd/skep")
	// Static, as released: skep ships its own binary into the controller's
	// image, whose C library may differ from this machine's.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build skep:", err)
		os.Exit(1)
	}
	// The lab's state goes to a directory of the test's own.
	os.Setenv("SKEP_HOME", filepath.Join(dir, "home"))
	os.Unsetenv("SKEP_CLUSTER")
	code := runWithLab(m)
	if os.Getenv("SKEP_E2E_KEEP") == "" {
		if err := downAndCheck(labName); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: lab down:", err)
			code = 1
		}
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// upElapsed is how long the shared lab took to come up (plan and first
// apply included).
var upElapsed time.Duration

// runWithLab brings up the one lab every scenario shares, then runs them.
// The machines come up without apply; plan and then apply run on the fresh
// lab here, so TestPlanMatchesApply can compare what one listed with what
// the other did. --warm-images keeps the image builds overlapping the
// nodes' start, as a plain lab up does.
func runWithLab(m *testing.M) int {
	start := time.Now()
	up := exec.Command(skepBin, "lab", "up", "--name", labName, "--nodes", "4", "--storage-mount", labStorageMount, "--no-apply", "--warm-images")
	up.Stdout, up.Stderr = os.Stdout, os.Stderr
	if err := up.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: skep lab up:", err)
		return 1
	}
	fmt.Printf("lab machines up: %.1fs\n", time.Since(start).Seconds())
	freshPlan = runStepsOnce(5*time.Minute, "plan", "--lab", labName, "--output", "json")
	freshApply = runStepsOnce(20*time.Minute, "apply", "--lab", labName, "--output", "json")
	if freshApply.err != "" {
		fmt.Fprintln(os.Stderr, "FAIL: first apply:", freshApply.err)
		return 1
	}
	upElapsed = time.Since(start)
	fmt.Printf("lab up (image cached or built, plan and first apply included): %.1fs\n", upElapsed.Seconds())
	// Before any scenario touches the lab: what a user sees first.
	firstStatus = statusOnce()
	return m.Run()
}

// downAndCheck removes a lab and checks that nothing labelled with it
// remains: no container, network or volume.
func downAndCheck(name string) error {
	down := exec.Command(skepBin, "lab", "down", "--name", name)
	down.Stdout, down.Stderr = os.Stdout, os.Stderr
	if err := down.Run(); err != nil {
		return err
	}
	for _, kind := range []string{"ps -a", "network ls", "volume ls"} {
		args := append(strings.Fields(kind), "-q", "--filter", "label=skep.lab="+name)
		out, err := exec.Command("docker", args...).Output()
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(out)) > 0 {
			return fmt.Errorf("docker %s still lists %s", kind, out)
		}
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("SKEP_HOME"), "labs", name)); !os.IsNotExist(err) {
		return fmt.Errorf("the lab's state directory remains")
	}
	fmt.Printf("PASS: lab %s down left no container, network, volume or state file\n", name)
	return nil
}

// labInfo is the lab as skep lab ls --output json describes it.
type labInfo struct {
	Name        string `json:"name"`
	ClusterFile string `json:"cluster_file"`
	StateDir    string `json:"state_dir"`
	VIP         string `json:"vip"`
	CAFile      string `json:"ca_file"`
}

// labCluster is the lab's cluster file as skep reads it (defaults applied):
// tests take paths such as the storage mount from it, never from constants.
func labCluster(t *testing.T) *config.Cluster {
	t.Helper()
	c, err := config.Load(theLab(t).ClusterFile)
	if err != nil {
		t.Fatalf("the lab's cluster file: %v", err)
	}
	if c.Storage == nil {
		t.Fatal("the lab's cluster file has no storage section")
	}
	return c
}

func theLab(t *testing.T) labInfo {
	t.Helper()
	return labNamed(t, labName)
}

// labNamed is any lab of this run's SKEP_HOME, as lab ls describes it.
func labNamed(t *testing.T, name string) labInfo {
	t.Helper()
	r := mustSkep(t, 10*time.Second, "lab", "ls", "--output", "json")
	var labs []labInfo
	if err := json.Unmarshal([]byte(r.stdout), &labs); err != nil {
		t.Fatalf("lab ls: %v\n%s", err, r.stdout)
	}
	for _, l := range labs {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("lab %s not listed: %s", name, r.stdout)
	return labInfo{}
}

// waitHealthy waits until status reports the whole cluster healthy; every
// scenario starts from, and leaves, a healthy lab.
func waitHealthy(t *testing.T, within time.Duration) {
	t.Helper()
	eventually(t, within, "cluster healthy", func() (bool, string) {
		s, r := status(t)
		return r.code == 0 && s.Healthy, strings.Join(s.Problems, "; ")
	})
}

// result is one finished skep invocation.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// runSkep runs the binary with a time limit and needs no test (status
// runs it before any): err says it could not run; a non-zero exit is
// r.code, and a run past the limit, killed, is timedOut.
func runSkep(timeout time.Duration, args ...string) (r result, timedOut bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, skepBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	r = result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		return r, false, err
	}
	return r, ctx.Err() != nil, nil
}

// skep runs the binary with a time limit; output is logged on failure.
func skep(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	r, timedOut, err := runSkep(timeout, args...)
	if err != nil {
		t.Fatalf("skep %v: %v", args, err)
	}
	if timedOut {
		t.Fatalf("skep %v: timed out after %s\nstdout:\n%s\nstderr:\n%s", args, timeout, r.stdout, r.stderr)
	}
	return r
}

// mustSkep runs skep and fails the test unless it exits 0.
func mustSkep(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	r := skep(t, timeout, args...)
	if r.code != 0 {
		t.Fatalf("skep %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

// statusReport is the `skep status --output json` contract (README.md,
// "Status as JSON"), as far as these tests read it.
type statusReport struct {
	Cluster  string   `json:"cluster"`
	Healthy  bool     `json:"healthy"`
	Problems []string `json:"problems"`
	Nodes    []struct {
		Name, Address, Role, State, Availability string
		Leader                                   bool
	} `json:"nodes"`
	Swarm *struct {
		Managers          int  `json:"managers"`
		ReachableManagers int  `json:"reachable_managers"`
		Quorum            bool `json:"quorum"`
	} `json:"swarm"`
}

func status(t *testing.T) (statusReport, result) {
	t.Helper()
	return statusOf(t, "--lab", labName)
}

// statusOf is status of the cluster the arguments name (--lab NAME or
// -f FILE).
func statusOf(t *testing.T, cluster ...string) (statusReport, result) {
	t.Helper()
	r := skep(t, 30*time.Second, append([]string{"status", "--output", "json"}, cluster...)...)
	var s statusReport
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("status JSON: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return s, r
}

func (s statusReport) leader() string {
	for _, n := range s.Nodes {
		if n.Leader {
			return n.Name
		}
	}
	return ""
}

// nonLeader is the first manager listed that is not the leader ("" if
// none): the faults on "a non-leader" are about the swarm's managers.
func (s statusReport) nonLeader() string {
	for _, n := range s.Nodes {
		if !n.Leader && n.Role == "manager" {
			return n.Name
		}
	}
	return ""
}

func (s statusReport) node(name string) (state string, ok bool) {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n.State, true
		}
	}
	return "", false
}

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	for time.Since(start) < within {
		ok, info := cond()
		if ok {
			return time.Since(start)
		}
		last = info
		time.Sleep(time.Second)
	}
	t.Fatalf("%s: not within %s; last: %s", what, within, last)
	return 0
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %v: %v\n%s", args, err, out)
	}
	return string(bytes.TrimSpace(out))
}

// inflict applies a lab fault (kill, pause, partition) to node and returns
// the undo (start, unpause, heal). The undo also runs when the test ends
// without it, so a subtest that fails in between leaves the lab whole for
// the next one; run twice, it acts once.
func inflict(t *testing.T, fault, undo, node string) (restore func()) {
	t.Helper()
	mustSkep(t, 30*time.Second, "lab", fault, "--name", labName, node)
	var once sync.Once
	restore = func() {
		once.Do(func() { mustSkep(t, 30*time.Second, "lab", undo, "--name", labName, node) })
	}
	t.Cleanup(restore)
	return restore
}
