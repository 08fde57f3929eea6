package placement

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
)

// fakeEngine is one manager's engine: its node, the swarm's nodes as the
// leader stores them (a write bumps the version and UpdatedAt, as swarm's
// store does), and the writes it took.
type fakeEngine struct {
	self    string
	leader  string // node ID of the leader; "" for none
	nodes   []swarm.Node
	now     *time.Time
	infoErr error
	failOne error // the next NodeUpdate fails with it
	writes  []string
	lists   int
}

func (f *fakeEngine) Info(context.Context) (system.Info, error) {
	if f.infoErr != nil {
		return system.Info{}, f.infoErr
	}
	return system.Info{Swarm: swarm.Info{NodeID: f.self, LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: true}}, nil
}

func (f *fakeEngine) NodeInspectWithRaw(_ context.Context, id string) (swarm.Node, []byte, error) {
	if f.leader == "" {
		return swarm.Node{}, nil, errors.New("The swarm does not have a leader")
	}
	for _, n := range f.nodes {
		if n.ID == id {
			n.ManagerStatus = &swarm.ManagerStatus{Leader: id == f.leader}
			return n, nil, nil
		}
	}
	return swarm.Node{}, nil, fmt.Errorf("no node %s", id)
}

func (f *fakeEngine) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	f.lists++
	return append([]swarm.Node(nil), f.nodes...), nil
}

func (f *fakeEngine) NodeUpdate(_ context.Context, id string, v swarm.Version, spec swarm.NodeSpec) error {
	if err := f.failOne; err != nil {
		f.failOne = nil
		return err
	}
	for i, n := range f.nodes {
		if n.ID != id {
			continue
		}
		if n.Version.Index != v.Index {
			return errors.New("update out of sequence")
		}
		f.nodes[i].Spec = spec
		f.nodes[i].Version.Index++
		f.nodes[i].Meta.UpdatedAt = *f.now
		f.writes = append(f.writes, fmt.Sprintf("%s %s=%q", n.Description.Hostname, LeaderLabel, spec.Labels[LeaderLabel]))
		return nil
	}
	return fmt.Errorf("no node %s", id)
}

type agentRig struct {
	eng  *fakeEngine
	a    *Agent
	now  time.Time
	logs []string
}

func newRig(leader string, nodes ...swarm.Node) *agentRig {
	r := &agentRig{now: t0}
	r.eng = &fakeEngine{self: "id-node1", leader: leader, nodes: nodes, now: &r.now}
	r.a = NewAgent(r.eng, func(f string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(f, a...)) })
	r.a.now = func() time.Time { return r.now }
	return r
}

func (r *agentRig) tick(t *testing.T, after time.Duration) error {
	t.Helper()
	r.now = r.now.Add(after)
	return r.a.Tick(context.Background())
}

func (r *agentRig) writes() string { return strings.Join(r.eng.writes, "; ") }

// A follower's agent never lists nor writes, whatever the labels.
func TestAgentFollowerWritesNothing(t *testing.T) {
	r := newRig("id-node2", node("node1"), node("node2"), node("node3", label("true")))
	for i := 0; i < 3; i++ {
		if err := r.tick(t, Interval); err != nil {
			t.Fatal(err)
		}
	}
	if r.eng.lists != 0 || len(r.eng.writes) != 0 {
		t.Fatalf("a follower listed %d times and wrote %q", r.eng.lists, r.writes())
	}
	if n := strings.Count(strings.Join(r.logs, "\n"), "following"); n != 1 {
		t.Errorf("said following %d times, want once: %q", n, r.logs)
	}
}

// Started on the leader: the label moves at the first look, then nothing
// is written again.
func TestAgentStartedOnLeader(t *testing.T) {
	r := newRig("id-node1", node("node1"), node("node2"), node("node3", label("true")))
	if err := r.tick(t, 0); err != nil {
		t.Fatal(err)
	}
	if got, want := r.writes(), `node1 skep.leader="true"; node3 skep.leader=""`; got != want {
		t.Fatalf("writes %s, want %s", got, want)
	}
	if r.eng.nodes[2].Spec.Labels["zone"] != "a" {
		t.Errorf("other labels lost: %v", r.eng.nodes[2].Spec.Labels)
	}
	if _, ok := r.eng.nodes[2].Spec.Labels[LeaderLabel]; ok {
		t.Errorf("label kept on node3: %v", r.eng.nodes[2].Spec.Labels)
	}
	for i := 0; i < 3; i++ {
		if err := r.tick(t, Interval); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.eng.writes) != 2 {
		t.Errorf("wrote again on a converged swarm: %s", r.writes())
	}
}

// Elected while the agent watched: stale ready states move nothing; a
// manager that registers with this leader does.
func TestAgentElection(t *testing.T) {
	r := newRig("id-node3", node("node1"), node("node2"), node("node3", label("true")))
	if err := r.tick(t, 0); err != nil {
		t.Fatal(err)
	}
	// node3 dies; no leader for a while: the look fails and is no write.
	r.eng.leader = ""
	if err := r.tick(t, Interval); err == nil || !strings.Contains(err.Error(), "does not have a leader") {
		t.Fatalf("err %v", err)
	}
	r.eng.leader = "id-node1"
	for i := 0; i < 4; i++ {
		if err := r.tick(t, Interval); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.eng.writes) != 0 {
		t.Fatalf("moved the label on stale states: %s", r.writes())
	}
	// node2 registers with the new leader.
	r.eng.nodes[1].Meta.UpdatedAt = r.now.Add(100 * time.Millisecond)
	if err := r.tick(t, Interval); err != nil {
		t.Fatal(err)
	}
	if got, want := r.writes(), `node1 skep.leader="true"; node3 skep.leader=""`; got != want {
		t.Fatalf("writes %s, want %s", got, want)
	}
}

// Elected, and no manager registers: after the grace plain states count.
func TestAgentElectionGrace(t *testing.T) {
	r := newRig("", node("node1"), node("node2"), node("node3", label("true")))
	_ = r.tick(t, 0)
	r.eng.leader = "id-node1"
	if err := r.tick(t, Interval); err != nil {
		t.Fatal(err)
	}
	if err := r.tick(t, Grace-time.Millisecond); err != nil || len(r.eng.writes) != 0 {
		t.Fatalf("before the grace: %v, writes %s", err, r.writes())
	}
	if err := r.tick(t, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got, want := r.writes(), `node1 skep.leader="true"; node3 skep.leader=""`; got != want {
		t.Fatalf("writes %s, want %s", got, want)
	}
}

// A write refused (apply set a node label meanwhile) is retried at the
// next look with the version listed then.
func TestAgentRetriesRefusedWrite(t *testing.T) {
	r := newRig("id-node1", node("node1"), node("node2"))
	r.eng.failOne = errors.New("update out of sequence")
	err := r.tick(t, 0)
	if err == nil || !strings.Contains(err.Error(), "label node1 skep.leader=true: update out of sequence") {
		t.Fatalf("err %v", err)
	}
	if err := r.tick(t, Interval); err != nil {
		t.Fatal(err)
	}
	if got := r.writes(); got != `node1 skep.leader="true"` {
		t.Fatalf("writes %s", got)
	}
}

// An engine that does not answer is no leader: nothing is written.
func TestAgentEngineDown(t *testing.T) {
	r := newRig("id-node1", node("node1"), node("node2"))
	r.eng.infoErr = errors.New("connection refused")
	if err := r.tick(t, 0); err == nil || !strings.Contains(err.Error(), "engine info") {
		t.Fatalf("err %v", err)
	}
	if r.eng.lists != 0 || len(r.eng.writes) != 0 {
		t.Fatalf("listed %d, wrote %s", r.eng.lists, r.writes())
	}
}
