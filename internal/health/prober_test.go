package health

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// fakeSwarm is the resolver, the probes and the node list a prober sees,
// changed by the test between rounds.
type fakeSwarm struct {
	mu      sync.Mutex
	addrs   []string
	dnsErr  error
	answers map[string]Answer // by address; absent: no answer (a frozen node)
	nodes   []swarm.Node
	listErr error
	asked   []string
	onAsk   func() // called at every probe, before it answers
}

func (f *fakeSwarm) LookupHost(_ context.Context, host string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if host != "tasks."+ProbeService {
		return nil, fmt.Errorf("asked for %s", host)
	}
	return append([]string(nil), f.addrs...), f.dnsErr
}

func (f *fakeSwarm) ask(ctx context.Context, addr string) (Answer, error) {
	f.mu.Lock()
	f.asked = append(f.asked, addr)
	a, ok := f.answers[addr]
	hook := f.onAsk
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	if !ok {
		<-ctx.Done() // a frozen node: the connection is accepted, never answered
		return Answer{}, ctx.Err()
	}
	return a, nil
}

func (f *fakeSwarm) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]swarm.Node(nil), f.nodes...), f.listErr
}

func node(id, host string) swarm.Node {
	n := swarm.Node{ID: id}
	n.Description.Hostname = host
	n.Spec.Availability = swarm.NodeAvailabilityActive
	n.CreatedAt = t0
	return n
}

func okAt(host, id string) Answer { return Answer{OK: true, Hostname: host, NodeID: id} }

// clock is a fake clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newFake() (*fakeSwarm, *Prober, *clock, *[]string) {
	f := &fakeSwarm{
		addrs:   []string{"10.0.9.2", "10.0.9.3", "10.0.9.4"},
		answers: map[string]Answer{"10.0.9.2": okAt("node1", "id1"), "10.0.9.3": okAt("node2", "id2"), "10.0.9.4": okAt("node4", "id4")},
		nodes:   []swarm.Node{node("id1", "node1"), node("id2", "node2"), node("id4", "node4")},
	}
	var logs []string
	p := NewProber("node1", f, f.ask, f, func(format string, a ...any) { logs = append(logs, fmt.Sprintf(format, a...)) })
	c := &clock{t: t0}
	p.now = c.now
	return f, p, c, &logs
}

// tick is one round that must count.
func tick(t *testing.T, p *Prober) View {
	t.Helper()
	v, ok := p.Tick(context.Background())
	if !ok {
		t.Fatal("the round was dropped")
	}
	return v
}

// A node that stops answering is not ok from the round that first failed
// (its since), keeps that since while it fails, and keeps its last OK;
// when it answers again it is ok since that round.
func TestProberBookkeeping(t *testing.T) {
	f, p, c, logs := newFake()
	v := tick(t, p)
	if len(v.Nodes) != 3 || !v.Nodes["node4"].OK || v.By != "node1" || !v.At.Equal(t0) {
		t.Fatalf("first round %+v", v)
	}
	if n := v.Nodes["node4"]; n.ID != "id4" || !n.Since.Equal(t0) || !n.LastOK.Equal(t0) {
		t.Errorf("node4 %+v", n)
	}

	f.mu.Lock()
	delete(f.answers, "10.0.9.4") // node4 freezes
	f.mu.Unlock()
	c.t = t0.Add(time.Second)
	v = tick(t, p)
	n := v.Nodes["node4"]
	if n.OK || !n.Since.Equal(t0.Add(time.Second)) || !n.LastOK.Equal(t0) || n.Error != "no answer in 1s" {
		t.Errorf("frozen node4 %+v", n)
	}
	c.t = t0.Add(3 * time.Second)
	v = tick(t, p)
	if n := v.Nodes["node4"]; n.OK || !n.Since.Equal(t0.Add(time.Second)) {
		t.Errorf("still frozen node4 keeps its since: %+v", n)
	}
	if n := v.Nodes["node2"]; !n.OK || !n.Since.Equal(t0) || !n.LastOK.Equal(t0.Add(3*time.Second)) {
		t.Errorf("node2 %+v", n)
	}

	f.mu.Lock()
	f.answers["10.0.9.4"] = okAt("node4", "id4")
	f.mu.Unlock()
	c.t = t0.Add(10 * time.Second)
	v = tick(t, p)
	if n := v.Nodes["node4"]; !n.OK || !n.Since.Equal(t0.Add(10*time.Second)) || n.Error != "" {
		t.Errorf("thawed node4 %+v", n)
	}
	joined := strings.Join(*logs, "\n")
	for _, want := range []string{"node4 does not answer: no answer in 1s", "node4 answers again (it did not for 9s)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("log lacks %q:\n%s", want, joined)
		}
	}
}

// A frozen probe costs one timeout, not one per node: every address is
// asked at once.
func TestProberAsksAtOnce(t *testing.T) {
	f, p, _, _ := newFake()
	f.mu.Lock()
	f.answers = map[string]Answer{} // every node silent
	f.mu.Unlock()
	start := time.Now()
	tick(t, p)
	if took := time.Since(start); took > ProbeTimeout+500*time.Millisecond {
		t.Errorf("a round of three silent probes took %s", took)
	}
	if len(f.asked) != 3 {
		t.Errorf("asked %v", f.asked)
	}
}

// The node list says who should answer: a listed node with no task
// answering is down (never seen: since the first round), a drained one
// (no task by design) is left out; while the list cannot be read the
// last one stands.
func TestProberExpectedNodes(t *testing.T) {
	f, p, c, _ := newFake()
	drained := node("id5", "node5")
	drained.Spec.Availability = swarm.NodeAvailabilityDrain
	f.nodes = append(f.nodes, node("id3", "node3"), drained)
	v := tick(t, p)
	if n, ok := v.Nodes["node3"]; !ok || n.OK || n.ID != "id3" || n.Error != "no probe task answers for it" || !n.Since.Equal(t0) {
		t.Errorf("node3 (no task) %+v", n)
	}
	if _, ok := v.Nodes["node5"]; ok {
		t.Errorf("a drained node is in the view: %+v", v.Nodes)
	}
	f.mu.Lock()
	f.listErr = errors.New("rpc error: code = Unknown desc = The swarm does not have a leader")
	f.nodes = nil
	f.mu.Unlock()
	c.t = t0.Add(time.Second)
	v = tick(t, p)
	if len(v.Nodes) != 4 {
		t.Errorf("without a leader the last list must stand: %+v", v.Nodes)
	}

	// Before any list, the nodes that answered are the view.
	f2, p2, _, _ := newFake()
	f2.listErr, f2.nodes = errors.New("no leader"), nil
	if v := tick(t, p2); len(v.Nodes) != 3 {
		t.Errorf("no list yet: %+v", v.Nodes)
	}
}

// A failed probe is blamed on the node last seen at that address; a node
// whose task moved to a new address is ok while the new one answers,
// even if the old address still resolves and fails; an address gone from
// DNS is forgotten; a resolver failure keeps asking the known addresses.
func TestProberAddresses(t *testing.T) {
	f, p, c, _ := newFake()
	tick(t, p)
	f.mu.Lock()
	delete(f.answers, "10.0.9.3")         // node2's old task is gone, its address still resolves
	f.addrs = append(f.addrs, "10.0.9.7") // its new task
	f.answers["10.0.9.7"] = okAt("node2", "id2")
	f.mu.Unlock()
	c.t = t0.Add(time.Second)
	v := tick(t, p)
	if n := v.Nodes["node2"]; !n.OK || !n.Since.Equal(t0) {
		t.Errorf("node2 with a new task: %+v", n)
	}

	f.mu.Lock()
	f.addrs = []string{"10.0.9.2", "10.0.9.4", "10.0.9.7"}
	f.mu.Unlock()
	c.t = t0.Add(2 * time.Second)
	tick(t, p)
	if _, ok := p.byAddr["10.0.9.3"]; ok {
		t.Errorf("an address gone from DNS is still remembered: %v", p.byAddr)
	}

	f.mu.Lock()
	f.dnsErr, f.addrs, f.asked = errors.New("i/o timeout"), nil, nil
	f.mu.Unlock()
	c.t = t0.Add(3 * time.Second)
	v = tick(t, p)
	if len(f.asked) != 3 || !v.Nodes["node4"].OK {
		t.Errorf("resolver down: asked %v, view %+v", f.asked, v.Nodes)
	}

	// A probe that answers 503 (its engine is silent) names its node.
	f.mu.Lock()
	f.dnsErr, f.addrs = nil, []string{"10.0.9.2", "10.0.9.4", "10.0.9.7"}
	f.answers["10.0.9.4"] = Answer{Hostname: "node4", NodeID: "id4", Error: "no answer from the engine in 500ms"}
	f.mu.Unlock()
	c.t = t0.Add(4 * time.Second)
	v = tick(t, p)
	if n := v.Nodes["node4"]; n.OK || n.Error != "no answer from the engine in 500ms" || !n.Since.Equal(t0.Add(4*time.Second)) {
		t.Errorf("node4 with a silent engine: %+v", n)
	}
}

// A round that outlasts every timeout in it means this manager itself
// was stalled (frozen and thawed): its failures say nothing of the nodes,
// so the round is dropped and no node changes state.
func TestProberStalledRound(t *testing.T) {
	f, p, c, logs := newFake()
	tick(t, p)
	var once sync.Once
	f.mu.Lock()
	f.answers = map[string]Answer{}                                          // every probe times out...
	f.onAsk = func() { once.Do(func() { c.t = c.t.Add(40 * time.Second) }) } // ...because this manager was frozen 40 s
	f.mu.Unlock()
	if _, ok := p.Tick(context.Background()); ok {
		t.Fatal("a stalled round counted")
	}
	if !strings.Contains(strings.Join(*logs, "\n"), "this manager was stalled") {
		t.Errorf("log %q", *logs)
	}
	f.mu.Lock()
	f.answers = map[string]Answer{"10.0.9.2": okAt("node1", "id1"), "10.0.9.3": okAt("node2", "id2"), "10.0.9.4": okAt("node4", "id4")}
	f.onAsk = nil
	f.mu.Unlock()
	v := tick(t, p)
	if n := v.Nodes["node4"]; !n.OK || !n.Since.Equal(t0) {
		t.Errorf("after the stall node4 %+v, want ok since the first round", n)
	}
}
