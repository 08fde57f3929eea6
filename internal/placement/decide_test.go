package placement

import (
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// t0 is when the agent saw this node (node1) become leader.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type nodeOpt func(*swarm.Node)

func node(name string, opts ...nodeOpt) swarm.Node {
	n := swarm.Node{ID: "id-" + name, Description: swarm.NodeDescription{Hostname: name}}
	n.Version.Index = 7
	n.Spec.Role = swarm.NodeRoleManager
	n.Spec.Availability = swarm.NodeAvailabilityActive
	n.Status.State = swarm.NodeStateReady
	// Written long before the election unless an option says otherwise.
	n.Meta.UpdatedAt = t0.Add(-time.Hour)
	for _, o := range opts {
		o(&n)
	}
	return n
}

func updated(d time.Duration) nodeOpt { return func(n *swarm.Node) { n.Meta.UpdatedAt = t0.Add(d) } }
func state(s swarm.NodeState) nodeOpt { return func(n *swarm.Node) { n.Status.State = s } }
func avail(a swarm.NodeAvailability) nodeOpt {
	return func(n *swarm.Node) { n.Spec.Availability = a }
}
func worker(n *swarm.Node) { n.Spec.Role = swarm.NodeRoleWorker }
func label(v string) nodeOpt {
	return func(n *swarm.Node) { n.Spec.Labels = map[string]string{"zone": "a", LeaderLabel: v} }
}

// changes renders a decision's changes as "+node1 -node3".
func changes(d Decision) string {
	var out []string
	for _, c := range d.Changes {
		sign := "-"
		if c.Set {
			sign = "+"
		}
		out = append(out, sign+nodeName(c.Node))
	}
	return strings.Join(out, " ")
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name    string
		elected bool
		after   time.Duration // Now - Since
		nodes   []swarm.Node
		want    string // changes
		why     string // a part of Why
	}{{
		name:    "fresh election, the others' ready states are stale: no move",
		elected: true, after: time.Second,
		nodes: []swarm.Node{node("node1"), node("node2"), node("node3", label("true"))},
		want:  "", why: "waiting",
	}, {
		name:    "fresh election, the others marked unknown by this leader: no move",
		elected: true, after: 2 * time.Second,
		nodes: []swarm.Node{node("node1"), node("node2", state(swarm.NodeStateUnknown), updated(300*time.Millisecond)),
			node("node3", label("true"), state(swarm.NodeStateUnknown), updated(300*time.Millisecond))},
		want: "", why: "waiting",
	}, {
		name:    "another manager freshly ready: label self, unlabel the old leader",
		elected: true, after: 1500 * time.Millisecond,
		nodes: []swarm.Node{node("node1"), node("node2", updated(1200*time.Millisecond)),
			node("node3", label("true"), state(swarm.NodeStateDown), updated(time.Second))},
		want: "+node1 -node3", why: "node2",
	}, {
		name:    "a node written just before the agent saw the election is not fresh",
		elected: true, after: time.Second,
		nodes: []swarm.Node{node("node1"), node("node2", updated(-100*time.Millisecond))},
		want:  "",
	}, {
		name:    "a fresh worker is no reason: the controller needs a manager",
		elected: true, after: time.Second,
		nodes: []swarm.Node{node("node1"), node("node2"), node("node4", worker, updated(500*time.Millisecond))},
		want:  "",
	}, {
		name:    "after the grace a plain ready manager is enough",
		elected: true, after: Grace,
		nodes: []swarm.Node{node("node1"), node("node2"), node("node3", label("true"), state(swarm.NodeStateDown))},
		want:  "+node1 -node3",
	}, {
		name:    "agent started on an existing leader: a plain ready manager is enough at once",
		elected: false, after: 0,
		nodes: []swarm.Node{node("node1"), node("node2"), node("node3")},
		want:  "+node1",
	}, {
		name:    "label already right: no write",
		elected: false, after: time.Minute,
		nodes: []swarm.Node{node("node1", label("true")), node("node2"), node("node3")},
		want:  "", why: "goes to the leader node1",
	}, {
		name:    "down, drained and paused managers are not eligible: the label leaves the leader",
		elected: false, after: time.Minute,
		nodes: []swarm.Node{node("node1", label("true")), node("node2", state(swarm.NodeStateDown)),
			node("node3", avail(swarm.NodeAvailabilityDrain)), node("node4", avail(swarm.NodeAvailabilityPause)),
			node("node5", state(swarm.NodeStateDisconnected)), node("node6", worker)},
		want: "-node1", why: "no other manager",
	}, {
		name:    "nobody eligible and nobody labelled: no write",
		elected: true, after: 10 * time.Second,
		nodes: []swarm.Node{node("node1"), node("node2", state(swarm.NodeStateDown))},
		want:  "",
	}, {
		name:    "within the grace nobody eligible: the leader keeps a label it has",
		elected: true, after: 3 * time.Second,
		nodes: []swarm.Node{node("node1", label("true")), node("node2", state(swarm.NodeStateDown), updated(time.Second))},
		want:  "",
	}, {
		name:    "a stray value is made right on the leader and removed elsewhere",
		elected: false,
		nodes:   []swarm.Node{node("node1", label("yes")), node("node2", label("false")), node("node3")},
		want:    "+node1 -node2",
	}, {
		name:    "this node missing from the list: no write",
		elected: false,
		nodes:   []swarm.Node{node("node2"), node("node3", label("true"))},
		want:    "", why: "not in the node list",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(View{Self: "id-node1", Nodes: c.nodes, Now: t0.Add(c.after), Since: t0, Elected: c.elected})
			if got := changes(d); got != c.want {
				t.Errorf("changes %q, want %q (why: %s)", got, c.want, d.Why)
			}
			if !strings.Contains(d.Why, c.why) {
				t.Errorf("why %q does not say %q", d.Why, c.why)
			}
			for _, ch := range d.Changes {
				if ch.Node.Version.Index != 7 {
					t.Errorf("%s: version %d, want the listed 7", ch, ch.Node.Version.Index)
				}
			}
		})
	}
}
