//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// firstStatus is the first `skep status --output json` after the suite's
// first apply returned, taken by runWithLab before any scenario ran.
var firstStatus result

// statusOnce runs one status call outside any test (no *testing.T yet);
// a call that could not run has code -1 and the reason as its stderr.
func statusOnce() result {
	r, _, err := runSkep(30*time.Second, "status", "--lab", labName, "--output", "json")
	if err != nil {
		r.code, r.stderr = -1, err.Error()
	}
	return r
}

// statusUnknown is the part of the status contract these tests read
// besides statusReport: what was not known.
type statusUnknown struct {
	Unknown []string `json:"unknown"`
}

// TestStatusFirstAfterUp: apply ends only when status says healthy, so
// the first status after the lab's first apply is healthy, first try (no polling).
func TestStatusFirstAfterUp(t *testing.T) {
	r := firstStatus
	var s statusReport
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("first status (exit %d): %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	var u statusUnknown
	json.Unmarshal([]byte(r.stdout), &u)
	t.Logf("first status after lab up: %.2fs, exit %d, not known: %q", r.elapsed.Seconds(), r.code, u.Unknown)
	if r.code != 0 || !s.Healthy {
		t.Fatalf("first status after lab up: exit %d, healthy %v, problems %q", r.code, s.Healthy, s.Problems)
	}
	if u.Unknown == nil {
		t.Errorf("unknown must be an array, even when empty:\n%s", r.stdout)
	}
}

// TestStatusIdle: 20 status calls in a row on an idle, healthy lab: all
// healthy, and the slowest within status's own 3 s budget.
func TestStatusIdle(t *testing.T) {
	waitHealthy(t, 3*time.Minute)
	const calls = 20
	var took []time.Duration
	var unhealthy []string
	unknowns := 0
	for i := 0; i < calls; i++ {
		s, r := status(t)
		took = append(took, r.elapsed)
		if r.code != 0 || !s.Healthy {
			unhealthy = append(unhealthy, fmt.Sprintf("call %d: exit %d, problems %q", i+1, r.code, s.Problems))
		}
		var u statusUnknown
		json.Unmarshal([]byte(r.stdout), &u)
		if len(u.Unknown) > 0 {
			unknowns++
			t.Logf("call %d not known: %q", i+1, u.Unknown)
		}
	}
	sorted := slices.Clone(took)
	slices.Sort(sorted)
	median := (sorted[calls/2-1] + sorted[calls/2]) / 2
	slowest := sorted[calls-1]
	t.Logf("%d status calls on an idle lab: median %.2fs, max %.2fs, min %.2fs; %d unhealthy, %d with something not known",
		calls, median.Seconds(), slowest.Seconds(), sorted[0].Seconds(), len(unhealthy), unknowns)
	if len(unhealthy) > 0 {
		t.Errorf("unhealthy answers on a healthy idle lab:\n%s", strings.Join(unhealthy, "\n"))
	}
	// The bound is the one status promises (--help): an answer within its
	// 3 s budget, on an idle lab as on one with a frozen host. The median
	// is logged, not asserted: a status call costs about 4.7 CPU-seconds
	// across a four-node lab, so on a two-core machine its wall time is
	// set by the machine (1.1 s on one, 2.4 s on another with the same
	// code), not by what status does.
	if slowest >= 3*time.Second {
		t.Errorf("slowest %.2fs, want under status's own 3s budget", slowest.Seconds())
	}
}

// TestStatusFrozenNode: right after a non-leader is frozen, one status
// call answers within 4 s with that node down and the rest as it is.
func TestStatusFrozenNode(t *testing.T) {
	waitHealthy(t, 3*time.Minute)
	before, _ := status(t)
	victim := before.nonLeader()
	if victim == "" {
		t.Fatal("no non-leader node")
	}
	mustSkep(t, 30*time.Second, "lab", "pause", "--name", labName, victim)
	t.Cleanup(func() {
		mustSkep(t, 30*time.Second, "lab", "unpause", "--name", labName, victim)
		waitHealthy(t, 3*time.Minute)
	})

	s, r := status(t)
	t.Logf("%s frozen: status took %.2fs, exit %d, problems %q", victim, r.elapsed.Seconds(), r.code, s.Problems)
	if r.elapsed >= 4*time.Second {
		t.Errorf("status took %.2fs with %s frozen, want under 4s", r.elapsed.Seconds(), victim)
	}
	if r.code != 1 || s.Healthy {
		t.Errorf("exit %d, healthy %v with %s frozen", r.code, s.Healthy, victim)
	}
	for _, n := range s.Nodes {
		switch {
		case n.Name == victim:
			named := slices.ContainsFunc(s.Problems, func(p string) bool { return strings.HasPrefix(p, victim+": ") })
			if (n.State != "down" && n.State != "unknown") || !named {
				t.Errorf("frozen %s: state %q, a problem naming it: %v", victim, n.State, named)
			}
		case n.State != "ready":
			t.Errorf("%s: state %q, want ready", n.Name, n.State)
		}
	}
	if s.Swarm == nil || !s.Swarm.Quorum {
		t.Errorf("swarm %+v, want quorum", s.Swarm)
	}
}
