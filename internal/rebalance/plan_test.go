package rebalance

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

// three is a swarm of three ready, active managers.
func three(extra ...swarm.Node) *fakeSwarm {
	return newFake(append([]swarm.Node{mkNode("node1"), mkNode("node2"), mkNode("node3")}, extra...)...)
}

// planOne plans the swarm and returns the plan of the one service name.
func planOne(t *testing.T, f *fakeSwarm, name string) Service {
	t.Helper()
	plan, err := Read(context.Background(), f, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("%s not in the plan: %+v", name, plan)
	return Service{}
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name   string
		swarm  *fakeSwarm
		action Action
		says   string // in the reason
		before string // Spread(Before)
		elig   string
	}{
		{"one task per node is balanced",
			three().run(mkService("app_web", 3), "node1", "node2", "node3"),
			Balanced, "at most one task apart over 3 nodes", "node1=1 node2=1 node3=1", "node1,node2,node3"},
		{"one task apart is balanced (4 over 3)",
			three().run(mkService("app_web", 4), "node1", "node1", "node2", "node3"),
			Balanced, "at most one task apart", "node1=2 node2=1 node3=1", "node1,node2,node3"},
		{"two on one node while another runs none",
			three().run(mkService("app_web", 3), "node1", "node1", "node2"),
			Planned, "node1 runs 2 tasks while node3 runs 0; a rolling update (stop-first, 1 at a time) spreads them", "node1=2 node2=1 node3=0", "node1,node2,node3"},
		{"more replicas than nodes, two apart",
			three().run(mkService("app_web", 5), "node1", "node1", "node1", "node2", "node3"),
			Planned, "node1 runs 3 tasks while node2 runs 1", "node1=3 node2=1 node3=1", "node1,node2,node3"},
		{"two replicas on one node of three",
			three().run(mkService("app_web", 2), "node2", "node2"),
			Planned, "node2 runs 2 tasks while node1 runs 0", "node1=0 node2=2 node3=0", "node1,node2,node3"},
		{"a single replica is never moved",
			three().run(mkService("app_db", 1), "node1"),
			Skipped, "one replica: it cannot be spread, and moving it would stop it", "node1=1 node2=0 node3=0", "node1,node2,node3"},
		{"skep's own services are apply's",
			three().run(mkService("skep-traefik-x", 3, label("skep.component", "ingress")), "node1", "node1", "node2"),
			Skipped, "skep's own service (skep.component=ingress)", "node1=2 node2=1 node3=0", "node1,node2,node3"},
		{"constraints limit the nodes: the worker's emptiness does not count",
			three(mkNode("node4", worker)).run(mkService("app_web", 3, constraints("node.role == manager")), "node1", "node2", "node3"),
			Balanced, "over 3 nodes", "node1=1 node2=1 node3=1", "node1,node2,node3"},
		{"constraints limit the nodes: a label",
			newFake(mkNode("node1", labels("zone", "a")), mkNode("node2", labels("zone", "a")), mkNode("node3", labels("zone", "b"))).
				run(mkService("app_web", 2, constraints("node.labels.zone==a")), "node1", "node1"),
			Planned, "node1 runs 2 tasks while node2 runs 0", "node1=2 node2=0", "node1,node2"},
		{"a drained node is not eligible",
			three().run(mkService("app_web", 3), "node1", "node1", "node2").withNode(2, drained),
			Balanced, "over 2 nodes", "node1=2 node2=1", "node1,node2"},
		{"a paused or down node is not eligible",
			three(mkNode("node4", down)).run(mkService("app_web", 3), "node1", "node1", "node2").withNode(2, paused),
			Balanced, "over 2 nodes", "node1=2 node2=1", "node1,node2"},
		{"one eligible node: nothing to spread over",
			three().run(mkService("app_web", 2, constraints("node.hostname==node1")), "node1", "node1"),
			Balanced, "1 node(s) may run it", "node1=2", "node1"},
		{"parallelism 0 is refused",
			three().run(mkService("app_web", 3, update(swarm.UpdateConfig{Parallelism: 0})), "node1", "node1", "node2"),
			Refused, "node1 runs 2 tasks while node3 runs 0; but its update parallelism is 0 (every task at once)", "node1=2 node2=1 node3=0", "node1,node2,node3"},
		{"stop-first with a batch of every task is refused",
			three().run(mkService("app_web", 3, update(swarm.UpdateConfig{Parallelism: 3, Order: swarm.UpdateOrderStopFirst})), "node1", "node1", "node2"),
			Refused, "parallelism 3 with order stop-first would stop all 3 tasks", "node1=2 node2=1 node3=0", "node1,node2,node3"},
		{"start-first with a batch of every task keeps them up",
			three().run(mkService("app_web", 3, update(swarm.UpdateConfig{Parallelism: 3, Order: swarm.UpdateOrderStartFirst})), "node1", "node1", "node2"),
			Planned, "(start-first, 3 at a time)", "node1=2 node2=1 node3=0", "node1,node2,node3"},
		{"an update under way is left to finish",
			three().run(mkService("app_web", 3, updateState(swarm.UpdateStateUpdating)), "node1", "node1", "node2"),
			Skipped, "an update is under way (updating)", "node1=2 node2=1 node3=0", "node1,node2,node3"},
		{"a paused update is the user's to fix",
			three().run(mkService("app_web", 3, updateState(swarm.UpdateStatePaused)), "node1", "node1", "node2"),
			Skipped, "its last update is paused", "node1=2 node2=1 node3=0", "node1,node2,node3"},
		{"a rolled back update is settled",
			three().run(mkService("app_web", 3, updateState(swarm.UpdateStateRollbackCompleted)), "node1", "node1", "node2"),
			Planned, "node1 runs 2", "node1=2 node2=1 node3=0", "node1,node2,node3"},
		{"tasks still being placed: not settled",
			three().run(mkService("app_web", 3), "node1", "node1"),
			Skipped, "2 of 3 tasks running: not settled", "node1=2 node2=0 node3=0", "node1,node2,node3"},
		{"placement preferences are swarm's spread",
			three().run(mkService("app_web", 3, func(s *swarm.Service) {
				s.Spec.TaskTemplate.Placement = &swarm.Placement{Preferences: []swarm.PlacementPreference{{Spread: &swarm.SpreadOver{SpreadDescriptor: "node.labels.zone"}}}}
			}), "node1", "node1", "node2"),
			Skipped, "placement preferences (spread over node.labels.zone)", "node1=2 node2=1 node3=0", "node1,node2,node3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := planOne(t, tc.swarm, tc.swarm.services[0].Spec.Name)
			if s.Action != tc.action || !strings.Contains(s.Reason, tc.says) {
				t.Errorf("%s: %s, want %s saying %q", s.Action, s.Reason, tc.action, tc.says)
			}
			if got := Spread(s.Before); got != tc.before {
				t.Errorf("before %s, want %s", got, tc.before)
			}
			if got := strings.Join(s.Eligible, ","); got != tc.elig {
				t.Errorf("eligible %s, want %s", got, tc.elig)
			}
			if s.After != nil {
				t.Errorf("a plan has an after: %v", s.After)
			}
		})
	}
}

func (f *fakeSwarm) withNode(i int, opts ...nodeOpt) *fakeSwarm {
	for _, o := range opts {
		o(&f.nodes[i])
	}
	return f
}

// Global services and jobs have no spread to fix: they are listed as
// skipped, saying why.
func TestPlanSkipsGlobalServicesAndJobs(t *testing.T) {
	f := three().run(mkService("app_agent", 0, global), "node1", "node2", "node3")
	f.run(mkService("app_job", 0, func(s *swarm.Service) {
		s.Spec.Mode = swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{}}
	}), "node1", "node1")
	f.run(mkService("app_web", 2), "node1", "node1")
	plan, err := Read(context.Background(), f, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range plan {
		got = append(got, s.Name+" "+string(s.Action)+": "+s.Reason)
	}
	want := []string{
		"app_agent skipped: global: one task on every eligible node already",
		"app_job skipped: a job: its tasks end by themselves",
		"app_web rebalance: node1 runs 2 tasks while node2 runs 0; a rolling update (stop-first, 1 at a time) spreads them",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReadOneStack(t *testing.T) {
	f := three().run(mkService("app_web", 2), "node1", "node1")
	f.run(mkService("other_web", 2), "node2", "node2")
	plan, err := Read(context.Background(), f, "other")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || plan[0].Name != "other_web" || plan[0].Stack != "other" {
		t.Errorf("plan %+v, want other_web alone", plan)
	}
	if _, err := Read(context.Background(), f, "nope"); err == nil || !strings.Contains(err.Error(), "no stack nope") {
		t.Errorf("a stack without services: %v", err)
	}
}

// A node that left and joined again leaves a stale entry with its
// hostname: both are told apart by ID, not added together.
func TestNodesSharingAHostname(t *testing.T) {
	stale := mkNode("node3", down)
	stale.ID = "0123456789abcdef"
	f := three(stale).run(mkService("app_web", 3), "node1", "node2", "node3")
	s := planOne(t, f, "app_web")
	if s.Action != Balanced || Spread(s.Before) != "node1=1 node2=1 node3 (id-node3)=1" {
		t.Errorf("%s %s: %s", s.Action, Spread(s.Before), s.Reason)
	}
}

func TestDone(t *testing.T) {
	if !Done([]Service{{Action: Balanced}, {Action: Rebalanced}, {Action: Skipped}}) {
		t.Error("balanced, rebalanced and skipped is not done")
	}
	for _, a := range []Action{Planned, Unbalanced, Refused, Failed} {
		if Done([]Service{{Action: Balanced}, {Action: a}}) {
			t.Errorf("%s counts as done", a)
		}
	}
}
