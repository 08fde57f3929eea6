package rebalance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// execute plans f and rolls what the plan says, collecting progress lines.
func execute(t *testing.T, f *fakeSwarm) ([]Service, []string, error) {
	t.Helper()
	plan, err := Read(context.Background(), f, "")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	done, err := Execute(context.Background(), f, plan, Options{Timeout: 5 * time.Second, every: time.Millisecond,
		Report: func(l string) { lines = append(lines, l) }})
	return done, lines, err
}

func byName(ss []Service, name string) Service {
	for _, s := range ss {
		if s.Name == name {
			return s
		}
	}
	return Service{}
}

func TestExecuteSpreadsOneServiceAtATime(t *testing.T) {
	web := mkService("app_web", 3)
	api := mkService("app_api", 4)
	db := mkService("app_db", 1)
	f := three().run(web, "node1", "node1", "node2").run(api, "node2", "node2", "node2", "node3").run(db, "node1")
	done, lines, err := execute(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.updates, "; "); got != "app_api force=1 version=10; app_web force=1 version=10" {
		t.Errorf("updates %s: want one forced update of each unbalanced service, in name order, from the version read", got)
	}
	for _, want := range []struct{ name, after string }{{"app_web", "node1=1 node2=1 node3=1"}, {"app_api", "node1=2 node2=1 node3=1"}} {
		s := byName(done, want.name)
		if s.Action != Rebalanced || Spread(s.After) != want.after || f.spread(f.service(want.name)) != want.after {
			t.Errorf("%s: %s after %s (swarm: %s): %s; want rebalanced to %s", want.name, s.Action, Spread(s.After), f.spread(f.service(want.name)), s.Reason, want.after)
		}
	}
	if s := byName(done, "app_db"); s.Action != Skipped || s.After != nil || f.spread(db) != "node1=1" {
		t.Errorf("the single replica was touched: %+v", s)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"app_web: rolling update (stop-first, 1 at a time) of 3 tasks",
		"app_web: 0/3 tasks replaced", "app_web: 3/3 tasks replaced",
		"app_web: node1=1 node2=1 node3=1 (was node1=2 node2=1 node3=0)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("progress lacks %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, "app_api: node1=2 node2=1 node3=1 (was node1=0 node2=3 node3=1)"), strings.Index(text, "app_web: rolling update"); i < 0 || j < i {
		t.Errorf("app_web was started before app_api was done:\n%s", text)
	}
	// The spec is what it was but the force counter: skep's spec-hash
	// label still matches, so a redeploy of the same file changes nothing.
	if got := f.service("app_web").Spec; got.TaskTemplate.ForceUpdate != 1 || got.Labels["com.docker.stack.namespace"] != "app" || got.TaskTemplate.ContainerSpec.Image != "app:1" {
		t.Errorf("spec after the update: %+v", got)
	}
}

// A paused update ends the run at once, naming the service, swarm's
// message and the failing task with its node; the next service is not
// tried.
func TestExecuteStopsAtAPausedUpdate(t *testing.T) {
	f := three().run(mkService("app_api", 3), "node1", "node1", "node2").run(mkService("app_web", 3), "node2", "node2", "node3")
	f.pauseWith = "starting container failed: no such image"
	done, _, err := execute(t, f)
	if err == nil {
		t.Fatal("a paused update was not an error")
	}
	for _, want := range []string{"service app_api: rolling update paused", "update paused due to failure", `task on node3 failed: "starting container failed: no such image"`, "docker service ps --no-trunc app_api"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if s := byName(done, "app_api"); s.Action != Failed || s.Reason != err.Error() {
		t.Errorf("app_api: %+v", s)
	}
	if s := byName(done, "app_web"); s.Action != Skipped || !strings.Contains(s.Reason, "not tried") {
		t.Errorf("app_web after a failure: %+v", s)
	}
	if len(f.updates) != 1 {
		t.Errorf("updates %v, want only app_api's", f.updates)
	}
}

// Where swarm keeps placing tasks unevenly (a node out of resources, say),
// the service gets maxRounds rolling updates and is then reported
// unbalanced, not rolled for ever.
func TestExecuteGivesUpAfterSomeRounds(t *testing.T) {
	f := three().run(mkService("app_web", 3), "node1", "node1", "node2")
	f.place = func(*fakeSwarm, *swarm.Service) string { return "id-node1" }
	done, _, err := execute(t, f)
	if err != nil {
		t.Fatal(err)
	}
	s := byName(done, "app_web")
	if s.Action != Unbalanced || Spread(s.After) != "node1=3 node2=0 node3=0" || !strings.Contains(s.Reason, "after 3 rolling updates") {
		t.Errorf("%s %s: %s", s.Action, Spread(s.After), s.Reason)
	}
	if len(f.updates) != maxRounds {
		t.Errorf("%d updates, want %d", len(f.updates), maxRounds)
	}
	if Done(done) {
		t.Error("an unbalanced service counts as done")
	}
}

// The service may change between plan and roll: one whose parallelism
// became 0 is refused then.
func TestExecuteChecksAgainBeforeRolling(t *testing.T) {
	f := three().run(mkService("app_web", 3), "node1", "node1", "node2")
	plan, err := Read(context.Background(), f, "")
	if err != nil {
		t.Fatal(err)
	}
	f.service("app_web").Spec.UpdateConfig = &swarm.UpdateConfig{Parallelism: 0}
	done, err := Execute(context.Background(), f, plan, Options{every: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "parallelism is 0") || done[0].Action != Failed || len(f.updates) != 0 {
		t.Errorf("err %v, %+v, updates %v", err, done[0], f.updates)
	}
}

// An update that never completes ends at the timeout, naming the service.
func TestExecuteTimesOut(t *testing.T) {
	f := three().run(mkService("app_web", 3), "node1", "node1", "node2")
	plan, err := Read(context.Background(), f, "")
	if err != nil {
		t.Fatal(err)
	}
	f.place = func(f *fakeSwarm, s *swarm.Service) string {
		s.UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateUpdating}
		f.tasks[len(f.tasks)-1].Status.State = swarm.TaskStateShutdown
		return "id-node3"
	}
	_, err = Execute(context.Background(), f, plan, Options{Timeout: 50 * time.Millisecond, every: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "service app_web: app_web rolling update: not within 50ms") {
		t.Errorf("err %v", err)
	}
}

func TestSpread(t *testing.T) {
	if got := Spread(map[string]int{"node2": 0, "node1": 2}); got != "node1=2 node2=0" {
		t.Errorf("Spread %q", got)
	}
	if got := Spread(nil); got != "no node" {
		t.Errorf("Spread(nil) %q", got)
	}
}
