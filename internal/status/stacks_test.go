package status

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	dswarm "github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
	"skep/internal/stack"
	"skep/internal/storage"
)

// stackSvc is a replicated service of a stack, last updated ago before t0.
func stackSvc(stackName, short string, desired, running uint64, ago time.Duration) stack.ServiceState {
	return stack.ServiceState{Stack: stackName, Name: stackName + "_" + short, Mode: "replicated", Counted: true,
		Desired: desired, Running: running, UpdatedAt: t0.Add(-ago)}
}

// stackFacts is a healthy cluster whose first manager listed svcs at t0.
func stackFacts(svcs ...stack.ServiceState) Facts {
	f := facts(up(1, true, healthyList()...), up(2, true), up(3, true))
	f.File = &config.Cluster{Name: "skep"}
	f.Hosts[0].Stacks = &HostStacks{Services: svcs, Now: t0}
	return f
}

// Short of its tasks within a minute of its last update, a service is
// starting; after that, it is a problem, which apply's verification passes
// by (apply cannot fix a stack).
func TestStacksGracePeriod(t *testing.T) {
	r := Build(stackFacts(
		stackSvc("demo", "api", 1, 0, 30*time.Second),
		stackSvc("demo", "db", 1, 0, 5*time.Minute),
		stackSvc("demo", "web", 2, 2, time.Hour),
		stackSvc("mon", "prom", 1, 1, time.Hour),
	))
	wantProblems(t, r, "stack demo: demo_db: 0/1 running, last updated 5m0s ago (see docker service ps --no-trunc demo_db)")
	if r.Healthy {
		t.Error("healthy with a service short of its tasks past the grace period")
	}
	if p := r.DeclaredProblems(); len(p) != 0 {
		t.Errorf("a stack's problem holds apply's verification: %q", p)
	}
	if len(r.Stacks) != 2 || r.Stacks[0].Name != "demo" || len(r.Stacks[0].Services) != 3 || r.Stacks[1].Name != "mon" {
		t.Fatalf("stacks = %+v", r.Stacks)
	}
	if api := r.Stacks[0].Services[0]; api.note != "starting" {
		t.Errorf("api within the grace period: %+v", api)
	}

	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := "\nstacks: 2\n" +
		"  demo: 3 services, 2 not at desired\n" +
		"    demo_api: 0/1 running (starting)\n" +
		"    demo_db: 0/1 running\n" +
		"  mon: 1 service, all at desired\n"
	if !strings.Contains(text.String(), want) {
		t.Errorf("text:\n%s\nwant the block:\n%s", text.String(), want)
	}
}

// An update swarm paused is a problem however many tasks run; a job
// running its tasks is in progress, not short of them.
func TestStacksPausedUpdateAndJobs(t *testing.T) {
	web := stackSvc("demo", "web", 1, 1, time.Hour)
	web.Update, web.UpdateMessage = dswarm.UpdateStatePaused, "update paused due to failure or early termination of task x"
	job := stack.ServiceState{Stack: "demo", Name: "demo_migrate", Mode: "replicated-job", Counted: true, Desired: 1, Running: 1, Completed: 1, Total: 3, UpdatedAt: t0.Add(-time.Hour)}
	r := Build(stackFacts(job, web))
	wantProblems(t, r, "stack demo: demo_web: update paused (update paused due to failure or early termination of task x); fix the stack and deploy it again (see docker service ps --no-trunc demo_web)")
	if s := r.Stacks[0].Services[0]; s.note != "in progress" || s.counts != "1/3 completed" {
		t.Errorf("job: %+v", s)
	}
}

// The JSON of the contract: every service with its counts, by stack; no
// "stacks" key at all when there is none.
func TestStacksJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := Build(stackFacts(stackSvc("demo", "web", 1, 1, time.Hour))).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	json.Compact(&compact, got["stacks"])
	if want := `[{"name":"demo","services":[{"name":"demo_web","desired":1,"running":1}]}]`; compact.String() != want {
		t.Errorf("stacks = %s, want %s", compact.String(), want)
	}

	buf.Reset()
	if err := Build(stackFacts()).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"stacks"`) {
		t.Errorf("a stacks key without any stack:\n%s", buf.String())
	}
}

// The first manager of the cluster's swarm that answered speaks for the
// stacks; when none did, they are not known, which leaves health alone.
func TestStacksAnswerOrNotKnown(t *testing.T) {
	f := stackFacts()
	silent := fmt.Errorf("service list: %w", &storage.NoAnswer{After: "3s"})
	f.Hosts[0].Stacks = &HostStacks{Err: silent}
	f.Hosts[1].Stacks = &HostStacks{Services: []stack.ServiceState{stackSvc("demo", "web", 1, 1, time.Hour)}, Now: t0}
	if r := Build(f); len(r.Stacks) != 1 || len(r.Unknown) != 0 {
		t.Errorf("stacks %+v, unknown %q; want node2's answer", r.Stacks, r.Unknown)
	}
	f.Hosts[1].Stacks = &HostStacks{Err: silent}
	r := Build(f)
	want := "stacks: not known (node1: service list: no answer in 3s; node2: service list: no answer in 3s)"
	if r.Stacks != nil || !r.Healthy || !slices.Equal(r.Unknown, []string{want}) {
		t.Errorf("stacks %+v, healthy %v, unknown %q; want %q", r.Stacks, r.Healthy, r.Unknown, want)
	}
}

// A manager asked about the stacks that did not answer in time is
// reported as not answering; without the section it is not asked.
func TestStacksSnapshotOfASilentManager(t *testing.T) {
	c := &config.Cluster{Name: "skep", Hosts: []config.Host{{Name: "node1", Address: "127.0.0.11"}}}
	p := newProbe(c, c.Hosts[0], time.Second)
	p.stacks = asksStacks([]Section{VIPSection, StacksSection})
	p.update(func(f *HostFacts, s *int) {
		f.Swarm = up(1, true).Swarm
		*s = stageDone
	})
	got := p.snapshot(3 * time.Second)
	if got.Stacks == nil || !notAnswered(got.Stacks.Err) {
		t.Fatalf("stacks = %+v, want not answered", got.Stacks)
	}
	p.stacks = asksStacks([]Section{VIPSection})
	if got := p.snapshot(3 * time.Second); got.Stacks != nil {
		t.Errorf("stacks asked though no section wants them: %+v", got.Stacks)
	}
}
