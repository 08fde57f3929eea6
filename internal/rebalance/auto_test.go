package rebalance

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

type autoRig struct {
	f    *fakeSwarm
	a    *Auto
	now  time.Time
	logs []string
}

func newRig(f *fakeSwarm, o AutoOptions) *autoRig {
	r := &autoRig{f: f, now: t0}
	o.now = func() time.Time { return r.now }
	o.every = time.Millisecond
	o.Logf = func(format string, args ...any) { r.logs = append(r.logs, fmt.Sprintf(format, args...)) }
	r.a = NewAuto(f, o)
	return r
}

func (r *autoRig) tick(t *testing.T) {
	t.Helper()
	if err := r.a.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (r *autoRig) said(s string) bool {
	for _, l := range r.logs {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func TestAutoRebalancesOnTheLeaderOnce(t *testing.T) {
	r := newRig(three().run(mkService("app_web", 3), "node1", "node1", "node2"), AutoOptions{})
	r.tick(t)
	if got := r.f.spread(r.f.service("app_web")); got != "node1=1 node2=1 node3=1" || len(r.f.updates) != 1 {
		t.Fatalf("spread %s after %v; logs:\n%s", got, r.f.updates, strings.Join(r.logs, "\n"))
	}
	if !r.said("app_web: node1 runs 2 tasks while node3 runs 0") || !r.said("app_web: node1=1 node2=1 node3=1 (was node1=2 node2=1 node3=0)") {
		t.Errorf("logs do not say why and what:\n%s", strings.Join(r.logs, "\n"))
	}
	r.tick(t)
	r.tick(t)
	if len(r.f.updates) != 1 || !r.said("balanced: no replicated service to spread") {
		t.Errorf("a balanced swarm was rolled again: %v\n%s", r.f.updates, strings.Join(r.logs, "\n"))
	}
	if n := strings.Count(strings.Join(r.logs, "\n"), "balanced: no replicated"); n != 1 {
		t.Errorf("the same state was logged %d times", n)
	}
}

func TestAutoActsOnlyOnTheLeader(t *testing.T) {
	f := three().run(mkService("app_web", 3), "node1", "node1", "node2")
	f.leader = "id-node2"
	r := newRig(f, AutoOptions{})
	r.tick(t)
	if len(f.updates) != 0 || !r.said("following") {
		t.Errorf("a follower acted: %v\n%s", f.updates, strings.Join(r.logs, "\n"))
	}
	// What the leader agent knows may be passed in instead.
	r = newRig(f, AutoOptions{Leading: func(context.Context) (bool, error) { return true, nil }})
	r.tick(t)
	if len(f.updates) != 1 {
		t.Errorf("told it leads, it did not act: %v", f.updates)
	}
}

// A node that came back is given After to prove itself before tasks move
// to it: its UpdatedAt says when its state last changed.
func TestAutoWaitsUntilEveryNodeHasBeenReadyForAfter(t *testing.T) {
	f := newFake(mkNode("node1"), mkNode("node2"), mkNode("node3", updatedAt(t0.Add(-20*time.Second)))).
		run(mkService("app_web", 3), "node1", "node1", "node2")
	r := newRig(f, AutoOptions{After: time.Minute})
	r.tick(t)
	if len(f.updates) != 0 || !r.said("waiting: node3 ready for less than 1m0s") {
		t.Fatalf("acted on a fresh node: %v\n%s", f.updates, strings.Join(r.logs, "\n"))
	}
	r.now = t0.Add(39 * time.Second)
	r.tick(t)
	if len(f.updates) != 0 {
		t.Fatal("acted before After")
	}
	r.now = t0.Add(41 * time.Second)
	r.tick(t)
	if len(f.updates) != 1 {
		t.Fatalf("did not act after After:\n%s", strings.Join(r.logs, "\n"))
	}
}

// A node down holds the loop back (a drained one does not); once it is
// back, After counts from when the loop saw it ready, even if its
// UpdatedAt were older.
func TestAutoWaitsForDownNodes(t *testing.T) {
	f := newFake(mkNode("node1"), mkNode("node2"), mkNode("node3", down), mkNode("node4", drained, down)).
		run(mkService("app_web", 3), "node1", "node1", "node2")
	r := newRig(f, AutoOptions{After: time.Minute})
	r.tick(t)
	if len(f.updates) != 0 || !r.said("waiting: node3 is down (drain a node that is gone for good") || r.said("node4") {
		t.Fatalf("%v\n%s", f.updates, strings.Join(r.logs, "\n"))
	}
	f.nodes[2].Status.State = swarm.NodeStateReady // UpdatedAt left an hour old
	r.now = t0.Add(10 * time.Second)
	r.tick(t)
	r.now = t0.Add(69 * time.Second)
	r.tick(t)
	if len(f.updates) != 0 {
		t.Fatal("acted before the node seen back had been ready for After")
	}
	r.now = t0.Add(71 * time.Second)
	r.tick(t)
	if len(f.updates) != 1 || f.spread(f.service("app_web")) != "node1=1 node2=1 node3=1" {
		t.Fatalf("%v %s\n%s", f.updates, f.spread(f.service("app_web")), strings.Join(r.logs, "\n"))
	}
}

// A service swarm keeps placing unevenly is rolled maxRounds times, then
// left alone until its nodes (or its spec) change.
func TestAutoDoesNotRollForEver(t *testing.T) {
	f := three().run(mkService("app_web", 3), "node1", "node1", "node2")
	f.place = func(*fakeSwarm, *swarm.Service) string { return "id-node1" }
	r := newRig(f, AutoOptions{})
	r.tick(t)
	if len(f.updates) != maxRounds || !r.said("app_web: unbalanced") || !r.said("not tried again until the service or its nodes change") {
		t.Fatalf("%v\n%s", f.updates, strings.Join(r.logs, "\n"))
	}
	r.tick(t)
	r.tick(t)
	if len(f.updates) != maxRounds {
		t.Fatalf("rolled again with nothing changed: %v", f.updates)
	}
	f.nodes = append(f.nodes, mkNode("node4"))
	f.place = nil
	r.tick(t)
	if len(f.updates) != maxRounds+1 || f.spread(f.service("app_web")) != "node1=1 node2=1 node3=1" {
		t.Errorf("a new node did not bring a new try: %v %s", f.updates, f.spread(f.service("app_web")))
	}
}

// A failed update (paused) is logged and not retried: the paused service
// is skipped by the plan until its owner fixes it.
func TestAutoLogsAFailureAndGoesOn(t *testing.T) {
	f := three().run(mkService("app_web", 3), "node1", "node1", "node2")
	f.pauseWith = "no such image"
	r := newRig(f, AutoOptions{})
	r.tick(t)
	r.tick(t)
	if len(f.updates) != 1 || !r.said(`app_web: failed: service app_web: rolling update paused`) {
		t.Errorf("%v\n%s", f.updates, strings.Join(r.logs, "\n"))
	}
}

func TestAutoEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if _, on, err := AutoFromEnv(get); on || err != nil {
		t.Errorf("unset: on %v, err %v", on, err)
	}
	k, v, _ := strings.Cut(AutoEnv(90*time.Second), "=")
	env[k] = v
	if after, on, err := AutoFromEnv(get); !on || err != nil || after != 90*time.Second {
		t.Errorf("%s=%s: %v %v %v", k, v, after, on, err)
	}
	env[EnvAfter] = "soon"
	if _, _, err := AutoFromEnv(get); err == nil || !strings.Contains(err.Error(), EnvAfter) {
		t.Errorf("a bad value: %v", err)
	}
}

// A service the plan refuses is said once, never rolled.
func TestAutoSaysWhatItRefuses(t *testing.T) {
	f := three().run(mkService("app_web", 3, update(swarm.UpdateConfig{Parallelism: 0})), "node1", "node1", "node2")
	r := newRig(f, AutoOptions{})
	r.tick(t)
	r.tick(t)
	if len(f.updates) != 0 || !r.said("nothing to roll; refused: app_web: node1 runs 2 tasks while node3 runs 0; but its update parallelism is 0") {
		t.Errorf("%v\n%s", f.updates, strings.Join(r.logs, "\n"))
	}
	if n := strings.Count(strings.Join(r.logs, "\n"), "refused"); n != 1 {
		t.Errorf("said %d times", n)
	}
}
