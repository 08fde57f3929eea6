package health

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// resolveTimeout bounds the DNS question for the probes' addresses (the
// engine's embedded resolver answers from memory).
const resolveTimeout = 500 * time.Millisecond

// stalledRound is how long a round may take before its results are
// dropped: every call in it is bounded by resolveTimeout + ProbeTimeout,
// so a longer round means this manager itself was stalled (frozen, or
// starved of CPU), and its probes' timeouts say nothing of the nodes. A
// manager thawed after a freeze would otherwise call every node down for
// a round.
const stalledRound = resolveTimeout + 2*ProbeTimeout

// Resolver finds the probe tasks' addresses (net.Resolver does).
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Asker asks the probe task at one address.
type Asker func(ctx context.Context, addr string) (Answer, error)

// NodeLister lists the swarm's nodes: this manager's engine. It answers
// on any manager while the swarm has a leader.
type NodeLister interface {
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
}

// Prober keeps one manager's view of every node. Tick is one round; the
// bookkeeping is here so that tests drive it with a fake resolver, asker
// and clock.
type Prober struct {
	self  string
	res   Resolver
	ask   Asker
	nodes NodeLister
	now   func() time.Time
	logf  func(string, ...any)

	// byAddr is the node (host name) that last answered at each address
	// still resolved: a failed probe is blamed on the node last seen
	// there.
	byAddr map[string]string
	// list is the last node list read; when the swarm has no leader the
	// managers cannot list nodes, and the last list stands.
	list   []swarm.Node
	listed bool
	state  map[string]NodeView // by host name
	said   string
}

// NewProber is the prober of the manager whose host name is self.
func NewProber(self string, res Resolver, ask Asker, nodes NodeLister, logf func(string, ...any)) *Prober {
	return &Prober{self: self, res: res, ask: ask, nodes: nodes, now: time.Now, logf: logf,
		byAddr: map[string]string{}, state: map[string]NodeView{}}
}

// probeResult is one address's probe in a round.
type probeResult struct {
	addr string
	ans  Answer
	err  error
}

// Tick runs one round: it resolves the probe tasks, asks each at once
// (each within ProbeTimeout) while it lists the nodes, and returns the
// view after it; false when the round took so long that this manager
// was stalled, and its results are dropped (the view is not to be
// written: better none, which goes stale, than a wrong one).
func (p *Prober) Tick(ctx context.Context) (View, bool) {
	start := p.now()
	var wg sync.WaitGroup
	var list []swarm.Node
	var listErr error
	wg.Go(func() {
		lctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
		defer cancel()
		list, listErr = p.nodes.NodeList(lctx, swarm.NodeListOptions{})
	})

	rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	addrs, err := p.res.LookupHost(rctx, "tasks."+ProbeService)
	cancel()
	if err != nil {
		// Keep asking the addresses known: a resolver that fails must not
		// make every node look down.
		addrs = slices.Sorted(maps.Keys(p.byAddr))
		p.say("resolve tasks.%s: %v (asking the %d addresses known)", ProbeService, err, len(addrs))
	}
	results := make([]probeResult, len(addrs))
	for i, a := range addrs {
		wg.Go(func() {
			actx, cancel := context.WithTimeout(ctx, ProbeTimeout)
			defer cancel()
			ans, err := p.ask(actx, a)
			if err != nil && actx.Err() != nil {
				err = fmt.Errorf("no answer in %s", ProbeTimeout)
			}
			results[i] = probeResult{addr: a, ans: ans, err: err}
		})
	}
	wg.Wait()
	end := p.now()
	if took := end.Sub(start); took > stalledRound {
		p.say("a round took %s, over %s: this manager was stalled, so its results are dropped", took.Round(100*time.Millisecond), stalledRound)
		return View{}, false
	}
	switch {
	case listErr == nil:
		p.list, p.listed = list, true
	case p.listed:
		p.say("list nodes: %v (keeping the last list)", listErr)
	default:
		p.say("list nodes: %v (judging the nodes that answer only)", listErr)
	}
	return p.record(start, end, results), true
}

// record folds one round's results, started at start and ended at end,
// into the nodes' states and returns the view.
func (p *Prober) record(start, end time.Time, results []probeResult) View {
	byName := map[string]*round{}
	get := func(name string) *round {
		if byName[name] == nil {
			byName[name] = &round{}
		}
		return byName[name]
	}
	current := map[string]bool{}
	for _, r := range results {
		current[r.addr] = true
	}
	for a := range p.byAddr {
		if !current[a] {
			delete(p.byAddr, a)
		}
	}
	for _, r := range results {
		if r.err == nil && r.ans.Hostname == "" {
			r.err = errors.New("answered without a node's name")
		}
		switch {
		case r.err == nil:
			p.byAddr[r.addr] = r.ans.Hostname
			n := get(r.ans.Hostname)
			n.id = r.ans.NodeID
			if r.ans.OK {
				n.ok, n.err = true, ""
			} else if !n.ok {
				n.err = r.ans.Error
			}
		case p.byAddr[r.addr] != "":
			// Every address of a node counts: a task that was replaced
			// leaves the old address failing for a while.
			if n := get(p.byAddr[r.addr]); !n.ok && n.err == "" {
				n.err = r.err.Error()
			}
		}
	}

	want := p.expected(byName)
	v := View{By: p.self, At: end, Nodes: map[string]NodeView{}}
	for name, id := range want {
		r := byName[name]
		ok := r != nil && r.ok
		why := ""
		switch {
		case ok:
		case r != nil && r.err != "":
			why = r.err
		default:
			why = "no probe task answers for it"
		}
		if id == "" && r != nil {
			id = r.id
		}
		prev, seen := p.state[name]
		nv := NodeView{ID: id, OK: ok, Since: prev.Since, LastOK: prev.LastOK, Error: why}
		if !seen || prev.OK != ok {
			nv.Since = start
			p.change(name, seen, prev, nv, start)
		}
		if ok {
			nv.LastOK = end
		}
		v.Nodes[name] = nv
	}
	p.state = maps.Clone(v.Nodes)
	return v
}

// expected are the nodes the view holds, host name to node ID: those of
// the node list but the drained (swarm takes every task off a drained
// node, the probe's too), or, before any list was read, those that
// answered. Of two nodes with one host name (a node that left and
// joined again), the newer counts.
func (p *Prober) expected(answered map[string]*round) map[string]string {
	want := map[string]string{}
	if !p.listed {
		for name, r := range answered {
			want[name] = r.id
		}
		return want
	}
	newest := map[string]time.Time{}
	for _, n := range p.list {
		name := n.Description.Hostname
		if name == "" || n.Spec.Availability == swarm.NodeAvailabilityDrain {
			continue
		}
		if t, dup := newest[name]; dup && !n.CreatedAt.After(t) {
			continue
		}
		newest[name], want[name] = n.CreatedAt, n.ID
	}
	return want
}

// round is one node's outcome in a round of probes.
type round struct {
	ok  bool   // some address of it answered OK
	err string // why not, from the first failure
	id  string // its node ID, as its probe said
}

// change logs a node's new state once.
func (p *Prober) change(name string, seen bool, prev, now NodeView, at time.Time) {
	switch {
	case now.OK && seen:
		p.logf("%s answers again (it did not for %s)", name, at.Sub(prev.Since).Round(100*time.Millisecond))
	case now.OK:
		p.logf("%s answers", name)
	default:
		p.logf("%s does not answer: %s", name, now.Error)
	}
}

// say logs a complaint once, until another is said.
func (p *Prober) say(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if s != p.said {
		p.said = s
		p.logf("%s", s)
	}
}
