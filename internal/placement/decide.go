package placement

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// Grace is how long after this node became leader the agent trusts a
// node's state alone. Right after an election the new leader marks every
// node unknown (measured: for 0.3 to 5.6 s) and nothing can be placed
// until a node registers again, while its node list can still show the
// old "ready" states for a moment. Within Grace only a node whose object
// changed since the election counts (see Decide); after it, a plain ready
// state does, so a swarm whose nodes were written just before the agent
// noticed does not wait for ever.
const Grace = 8 * time.Second

// View is what the leader's agent knows when it decides.
type View struct {
	// Self is this node's swarm ID; this node is the leader.
	Self string
	// Nodes are the swarm's nodes as this (leader) engine lists them.
	Nodes []swarm.Node
	// Now is this node's clock. Node objects' UpdatedAt times are written
	// by the leader's own store, so by this same clock.
	Now time.Time
	// Since is when the agent first saw this node lead.
	Since time.Time
	// Elected says the agent saw this node become leader (it was not the
	// leader at an earlier look). False when it started on a node that
	// already led: the election is then older than the agent, and how
	// fresh a node's state is cannot be told from Since.
	Elected bool
}

// Change sets (Set) or removes the label on one node. Node carries the
// version index to update from.
type Change struct {
	Node swarm.Node
	Set  bool
}

func (c Change) String() string {
	if c.Set {
		return "label " + nodeName(c.Node) + " " + LeaderLabel + "=true"
	}
	return "remove " + LeaderLabel + " from " + nodeName(c.Node)
}

// Decision is the label changes to make, this node's first, and why.
type Decision struct {
	Changes []Change
	Why     string
}

// Decide says where the leader label goes. The rules, in order:
//
//  1. A host is eligible when it is another manager, ready, availability
//     active, and, within Grace of an election the agent saw, its node
//     object was updated after Since (it registered with this leader;
//     a ready state written before is stale).
//  2. Some host is eligible: the label goes on this node and off every
//     other. The singletons here move to a node that can take them now.
//     Only managers count: the controller runs on managers only, and a
//     label on the only usable manager would leave it nowhere to run.
//  3. None is, and the election is older than Grace (or the agent
//     started on an existing leader): no node carries the label, so the
//     singletons may run on the leader rather than nowhere.
//  4. None is, within Grace: nothing changes; the next look decides.
//
// Only changes are returned: a label already where it belongs is not
// written again.
func Decide(v View) Decision {
	settled := !v.Elected || v.Now.Sub(v.Since) >= Grace
	var self *swarm.Node
	var eligible []string
	for i, n := range v.Nodes {
		if n.ID == v.Self {
			self = &v.Nodes[i]
			continue
		}
		if n.Spec.Role == swarm.NodeRoleManager && n.Status.State == swarm.NodeStateReady &&
			n.Spec.Availability == swarm.NodeAvailabilityActive && (settled || n.Meta.UpdatedAt.After(v.Since)) {
			eligible = append(eligible, nodeName(n))
		}
	}
	if self == nil {
		return Decision{Why: "this node " + v.Self + " is not in the node list"}
	}
	var d Decision
	switch {
	case len(eligible) > 0:
		sort.Strings(eligible)
		d.Why = fmt.Sprintf("another manager can take the singletons (%s): the label goes to the leader %s", strings.Join(eligible, ", "), nodeName(*self))
		if !labelled(*self) {
			d.Changes = append(d.Changes, Change{Node: *self, Set: true})
		}
	case settled:
		d.Why = "no other manager is ready and active: no node carries the label, so the singletons may run on the leader"
		if carries(*self) {
			d.Changes = append(d.Changes, Change{Node: *self})
		}
	default:
		// Said once per election (the agent logs a reason when it
		// changes), so it names no elapsed time.
		return Decision{Why: fmt.Sprintf("just elected: waiting for another manager to register with this leader (at most %s)", Grace)}
	}
	for _, n := range v.Nodes {
		if n.ID != v.Self && carries(n) {
			d.Changes = append(d.Changes, Change{Node: n})
		}
	}
	return d
}

// labelled: the node carries the label with the value the constraint
// tests.
func labelled(n swarm.Node) bool { return n.Spec.Labels[LeaderLabel] == "true" }

// carries: the node has the label at all; any value is removed where the
// label does not belong, so the node list never shows a stray one.
func carries(n swarm.Node) bool {
	_, ok := n.Spec.Labels[LeaderLabel]
	return ok
}

func nodeName(n swarm.Node) string {
	if n.Description.Hostname != "" {
		return n.Description.Hostname
	}
	return n.ID
}
