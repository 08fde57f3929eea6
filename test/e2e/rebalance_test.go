//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// rebalanceReport is `skep rebalance --output json`, as far as this test
// reads it.
type rebalanceReport struct {
	DryRun   bool `json:"dry_run"`
	Done     bool `json:"done"`
	Services []struct {
		Name     string         `json:"name"`
		Eligible []string       `json:"eligible"`
		Before   map[string]int `json:"before"`
		After    map[string]int `json:"after"`
		Action   string         `json:"action"`
		Reason   string         `json:"reason"`
	} `json:"services"`
}

func rebalanceRun(t *testing.T, timeout time.Duration, args ...string) rebalanceReport {
	t.Helper()
	r := mustSkep(t, timeout, append([]string{"rebalance", "--lab", labName, "--output", "json"}, args...)...)
	var rep rebalanceReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("rebalance --output json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	t.Logf("skep rebalance %v:\n%s", args, r.stderr)
	return rep
}

// spreadOf counts a stack's running tasks per node.
func spreadOf(tasks map[string]taskRow) map[string]int {
	count := map[string]int{}
	for _, task := range tasks {
		count[task.Node]++
	}
	return count
}

func spreadText(count map[string]int) string {
	var parts []string
	for n, c := range count {
		parts = append(parts, fmt.Sprintf("%s=%d", n, c))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// TestRebalance: a 3-replica web service on the managers, routed by
// Traefik, one task per manager. A manager running one dies: swarm starts
// its task on another, and once the manager is back it stays empty (one
// manager runs two). skep rebalance --dry-run says so and moves nothing;
// skep rebalance rolls the service until each manager runs one again,
// while HTTPS requests through the VIP, every 100 ms, all answer; a second
// run finds nothing to do.
func TestRebalance(t *testing.T) {
	l := theLab(t)
	waitHealthy(t, 3*time.Minute)
	s, _ := status(t)
	var managers []string
	for _, n := range s.Nodes {
		if n.Role == "manager" {
			managers = append(managers, n.Name)
		}
	}
	sort.Strings(managers)
	if len(managers) != 3 {
		t.Fatalf("the lab has managers %v, want 3", managers)
	}

	// Constrained to the managers, the three replicas have three eligible
	// nodes: with the worker as a fourth, the dead node's task would go to
	// the empty worker and nothing would be uneven. The backend answers
	// on for 5 s after SIGTERM, as an app behind Traefik (which reads the
	// swarm every 2 s) should; the README says why.
	host := "spread." + labName + ".lab"
	t.Setenv("WHOAMI_IMAGE", whoamiImage(t))
	compose := writeFile(t, t.TempDir(), "compose.yaml", `services:
  web:
    image: ${WHOAMI_IMAGE}
    command: ["--port", "8080", "--drain", "5s"]
    deploy:
      replicas: 3
      placement:
        constraints: [node.role == manager]
      update_config:
        parallelism: 1
        order: stop-first
      labels:
        traefik.enable: "true"
        traefik.http.routers.spread.rule: "Host(`+"`"+host+"`"+`)"
        traefik.http.routers.spread.entrypoints: websecure
        traefik.http.routers.spread.tls: "true"
        traefik.http.services.spread.loadbalancer.server.port: "8080"
`)
	t.Cleanup(func() {
		skep(t, 2*time.Minute, "stack", "rm", "--lab", labName, "spread")
		waitHealthy(t, 3*time.Minute)
	})
	mustSkep(t, 5*time.Minute, deployArgs("spread", compose)...)
	c := verifiedTo(net.JoinHostPort(l.VIP, "443"), host, labRoots(t, l), 3*time.Second)
	firstHTTPS(t, c, host)

	tasks := runningTasks(t, "spread")
	if len(tasks) != 3 {
		t.Fatalf("spread runs %d tasks, want 3: %v", len(tasks), tasks)
	}
	t.Logf("deployed: %s", spreadText(spreadOf(tasks)))
	// The victim runs a task and is not the leader: an election would only
	// slow the test down, and is no part of it.
	victim := ""
	for _, task := range tasks {
		if task.Node != s.leader() && (victim == "" || task.Node < victim) {
			victim = task.Node
		}
	}
	if victim == "" {
		t.Fatalf("every task runs on the leader %s: %v", s.leader(), tasks)
	}
	restart := inflict(t, "kill", "start", victim)
	eventually(t, 3*time.Minute, "swarm running all 3 tasks off "+victim, func() (bool, string) {
		now := runningTasks(t, "spread")
		count := spreadOf(now)
		return len(now) == 3 && count[victim] == 0, spreadText(count)
	})
	restart()
	waitHealthy(t, 3*time.Minute)
	before := runningTasks(t, "spread")
	count := spreadOf(before)
	t.Logf("%s back: %s", victim, spreadText(count))
	if count[victim] != 0 || !slices.ContainsFunc(managers, func(m string) bool { return count[m] == 2 }) {
		t.Fatalf("after %s came back: %s; want it empty and a manager running 2 (swarm moves nothing back)", victim, spreadText(count))
	}

	dry := rebalanceRun(t, time.Minute, "--stack", "spread", "--dry-run")
	if len(dry.Services) != 1 || dry.Services[0].Name != "spread_web" || dry.Services[0].Action != "rebalance" ||
		dry.Services[0].Before[victim] != 0 || !slices.Equal(dry.Services[0].Eligible, managers) || dry.Done {
		t.Fatalf("dry run: %+v; want spread_web to rebalance, %s at 0, the managers eligible", dry, victim)
	}
	if !sameTasks(before, runningTasks(t, "spread")) {
		t.Fatal("--dry-run moved tasks")
	}

	// HTTPS through the VIP every 100 ms while the service rolls.
	var (
		mu       sync.Mutex
		total    int
		failures []string
	)
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			got, err := getVerified(c, "https://"+host+"/")
			mu.Lock()
			total++
			if err != nil || got.code != 200 {
				failures = append(failures, fmt.Sprintf("%s: %d %v", time.Now().Format("15:04:05.000"), got.code, err))
			}
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	rep := rebalanceRun(t, 10*time.Minute, "--stack", "spread")
	took := time.Since(start)
	close(stop)
	<-polled

	if len(rep.Services) != 1 || rep.Services[0].Action != "rebalanced" || !rep.Done {
		t.Fatalf("rebalance: %+v; want spread_web rebalanced", rep)
	}
	web := rep.Services[0]
	most := (3 + len(web.Eligible) - 1) / len(web.Eligible)
	after := spreadOf(runningTasks(t, "spread"))
	for _, m := range web.Eligible {
		if web.After[m] > most || after[m] > most {
			t.Errorf("%s runs %d tasks (report: %d), want at most %d", m, after[m], web.After[m], most)
		}
	}
	t.Logf("rebalanced in %.1fs: %s -> %s (report: %s -> %s); %d HTTPS requests through the VIP meanwhile, %d failed",
		took.Seconds(), spreadText(count), spreadText(after), spreadText(web.Before), spreadText(web.After), total, len(failures))
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed during the rebalance, want none:\n%s", len(failures), total, strings.Join(failures, "\n"))
	}
	if total < int(took/(200*time.Millisecond)) {
		t.Errorf("only %d requests in %.1fs: the probe did not keep up", total, took.Seconds())
	}

	settled := runningTasks(t, "spread")
	again := rebalanceRun(t, time.Minute, "--stack", "spread")
	if len(again.Services) != 1 || again.Services[0].Action != "balanced" || !again.Done || !sameTasks(settled, runningTasks(t, "spread")) {
		t.Errorf("a second run: %+v; want balanced, no task moved", again)
	}
}
