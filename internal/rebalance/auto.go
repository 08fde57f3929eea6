package rebalance

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/poll"
)

// The automatic rebalancer: when the cluster file says
// `swarm: {rebalance: {auto: true}}`, a loop on the swarm leader does what
// `skep rebalance` does, once every node has been ready for a while. It is
// meant to run inside skep's leader agent (every manager runs one; only
// the leader's acts), which has a manager's engine socket; apply hands it
// the setting through the environment (AutoEnv, AutoFromEnv).

// Defaults of the automatic loop.
const (
	// DefaultAfter is how long every node must have been ready before
	// the loop moves tasks: long enough that a node that flaps (boots,
	// fails again) is not handed tasks it will drop at once.
	DefaultAfter = 60 * time.Second
	// DefaultEvery is how often the loop looks: three cheap reads.
	DefaultEvery = 10 * time.Second
	// readTimeout bounds one look's reads; an engine asked while the
	// swarm has no leader may hold a request until one exists.
	readTimeout = 5 * time.Second
)

// EnvAfter is the environment variable that turns the loop on in the
// leader agent's container, holding `after` as a Go duration.
const EnvAfter = "SKEP_REBALANCE_AFTER"

// AutoEnv is the environment entry that turns the loop on with after.
func AutoEnv(after time.Duration) string { return EnvAfter + "=" + after.String() }

// AutoFromEnv reads AutoEnv's entry through getenv (os.Getenv): on is
// false when it is unset. A value that is no duration, or below a second,
// is an error naming the variable.
func AutoFromEnv(getenv func(string) string) (after time.Duration, on bool, err error) {
	v := getenv(EnvAfter)
	if v == "" {
		return 0, false, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return 0, false, fmt.Errorf("%s=%q: want a duration of at least 1s such as 60s (apply sets it from swarm.rebalance.after)", EnvAfter, v)
	}
	return d, true, nil
}

// AutoOptions tune the automatic loop.
type AutoOptions struct {
	// After is how long every node must have been ready before the loop
	// rebalances; 0 means DefaultAfter.
	After time.Duration
	// Every is the time between two looks; 0 means DefaultEvery.
	Every time.Duration
	// Timeout bounds each service's rolling update; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Leading says whether this node leads the swarm; only the leader's
	// loop acts. nil asks the engine (Info, then the node's manager
	// status). The leader agent may pass what it already knows.
	Leading func(ctx context.Context) (bool, error)
	// Logf receives what the loop does and why it waits (each state once).
	Logf func(format string, args ...any)

	now   func() time.Time
	every time.Duration // the rolling wait's interval; tests shorten it
}

// Auto is the automatic rebalancer's state between looks.
type Auto struct {
	eng LeaderEngine
	o   AutoOptions
	// downSeen holds the nodes seen not ready at some look; back is when
	// such a node was first seen ready again. A node that went down and
	// came back between two looks shows by its UpdatedAt instead.
	downSeen map[string]bool
	back     map[string]time.Time
	// gaveUp holds, per service ID, the state in which a rebalance of it
	// failed or left it uneven: it is not tried again until the service
	// or its nodes change, so the loop does not roll it for ever.
	gaveUp map[string]string
	said   string
}

// NewAuto is the loop's state on eng, a manager's engine.
func NewAuto(eng LeaderEngine, o AutoOptions) *Auto {
	if o.After <= 0 {
		o.After = DefaultAfter
	}
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.now == nil {
		o.now = time.Now
	}
	a := &Auto{eng: eng, o: o, downSeen: map[string]bool{}, back: map[string]time.Time{}, gaveUp: map[string]string{}}
	if a.o.Leading == nil {
		a.o.Leading = a.leads
	}
	return a
}

// Watch runs the loop until ctx ends: a look every o.Every, a failed
// look logged and tried again at the next (it never exits on its own: it
// runs beside the leader agent, which swarm would only restart).
func Watch(ctx context.Context, eng LeaderEngine, o AutoOptions) error {
	a := NewAuto(eng, o)
	a.o.Logf("automatic rebalancing on: after every node has been ready for %s (looking every %s, acting on the swarm leader only)", a.o.After, a.o.Every)
	for {
		if err := a.Tick(ctx); err != nil && ctx.Err() == nil {
			a.say("%v", err)
		}
		if err := poll.Sleep(ctx, a.o.Every); err != nil {
			return nil
		}
	}
}

// RunAuto is Watch on the engine the environment names (the socket bound
// into the leader agent's container), with after and logf: what the
// leader agent starts when AutoFromEnv says on.
func RunAuto(ctx context.Context, after time.Duration, logf func(string, ...any)) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	return Watch(ctx, cli, AutoOptions{After: after, Logf: logf})
}

// Tick is one look. On the leader, once every node has been ready for
// After, it plans every replicated service and rolls the unbalanced ones,
// one at a time, as skep rebalance does. It returns what kept it from
// looking (an engine that did not answer); a rolling update that failed
// is logged, and that service is left alone until it or its nodes change.
func (a *Auto) Tick(ctx context.Context) error {
	leading, err := a.o.Leading(ctx)
	if err != nil {
		return fmt.Errorf("is this node the swarm leader: %w", err)
	}
	if !leading {
		// What was seen while leading is stale once another node leads.
		a.downSeen, a.back = map[string]bool{}, map[string]time.Time{}
		a.say("following: the leader's loop rebalances")
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	nodes, err := a.eng.NodeList(rctx, swarm.NodeListOptions{})
	cancel()
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	if why := a.unsettled(nodes); why != "" {
		a.say("waiting: %s", why)
		return nil
	}
	rctx, cancel = context.WithTimeout(ctx, readTimeout)
	plan, err := Read(rctx, a.eng, "")
	cancel()
	if err != nil {
		return err
	}
	todo := false
	var refused []string
	for i, s := range plan {
		if s.Action == Refused {
			refused = append(refused, s.Name+": "+s.Reason)
		}
		if s.Action != Planned {
			continue
		}
		if a.gaveUp[s.ID] == fingerprint(s) {
			plan[i].Action = Skipped
			continue
		}
		todo = true
	}
	if !todo {
		msg := "balanced: no replicated service to spread"
		if len(refused) > 0 {
			msg = "nothing to roll; refused: " + strings.Join(refused, "; ")
		}
		a.say("%s", msg)
		return nil
	}
	for _, s := range plan {
		if s.Action == Planned {
			a.o.Logf("%s: %s", s.Name, s.Reason)
		}
	}
	a.said = ""
	done, err := Execute(ctx, a.eng, plan, Options{Timeout: a.o.Timeout, Report: func(l string) { a.o.Logf("%s", l) }, every: a.o.every})
	for _, s := range done {
		switch s.Action {
		case Rebalanced:
			delete(a.gaveUp, s.ID)
		case Unbalanced, Failed:
			a.o.Logf("%s: %s: %s; not tried again until the service or its nodes change", s.Name, s.Action, s.Reason)
			a.giveUp(ctx, s)
		}
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// giveUp remembers the state a service was left in, read again: it is
// tried again once that state changes.
func (a *Auto) giveUp(ctx context.Context, s Service) {
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	x := &executor{eng: a.eng}
	if now, err := x.look(rctx, s.ID); err == nil {
		a.gaveUp[s.ID] = fingerprint(now)
		return
	}
	a.gaveUp[s.ID] = fingerprint(s)
}

// fingerprint is what must change before a service given up on is tried
// again: its spec (but the force counter, which the attempt itself
// raised, and a rollback lowers again) and the nodes it may run on.
func fingerprint(s Service) string {
	return s.specHash + "|" + strings.Join(s.Eligible, ",")
}

// unsettled says why the loop waits, "" when every node (but a drained
// one, which an operator has taken out) has been ready for After.
func (a *Auto) unsettled(nodes []swarm.Node) string {
	now := a.o.now()
	var down, fresh []string
	for _, n := range nodes {
		name := n.Description.Hostname
		if n.Spec.Availability == swarm.NodeAvailabilityDrain {
			continue
		}
		if n.Status.State != swarm.NodeStateReady {
			a.downSeen[n.ID] = true
			delete(a.back, n.ID)
			down = append(down, fmt.Sprintf("%s is %s", name, n.Status.State))
			continue
		}
		// The node object changes whenever its state does, so a ready node
		// has been ready at least since UpdatedAt (by the leader's clock,
		// this node's); later is only more careful.
		since := n.Meta.UpdatedAt
		if a.downSeen[n.ID] {
			if _, ok := a.back[n.ID]; !ok {
				a.back[n.ID] = now
			}
			if a.back[n.ID].After(since) {
				since = a.back[n.ID]
			}
		}
		if now.Sub(since) < a.o.After {
			// No running figure: the line is said once per state.
			fresh = append(fresh, fmt.Sprintf("%s ready for less than %s", name, a.o.After))
		}
	}
	sort.Strings(down)
	sort.Strings(fresh)
	if len(down) > 0 {
		return strings.Join(down, ", ") + " (drain a node that is gone for good: docker node update --availability drain NODE)"
	}
	return strings.Join(fresh, ", ")
}

// leads asks the engine whether its node is the swarm's leader.
func (a *Auto) leads(ctx context.Context) (bool, error) {
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	info, err := a.eng.Info(rctx)
	if err != nil {
		return false, fmt.Errorf("engine info: %w", err)
	}
	sw := info.Swarm
	if sw.LocalNodeState != swarm.LocalNodeStateActive || !sw.ControlAvailable || sw.NodeID == "" {
		return false, nil
	}
	n, _, err := a.eng.NodeInspectWithRaw(rctx, sw.NodeID)
	if err != nil {
		return false, fmt.Errorf("inspect this node %s: %w", sw.NodeID, err)
	}
	return n.ManagerStatus != nil && n.ManagerStatus.Leader, nil
}

// say logs a state once, until another is said: the loop repeats itself
// otherwise.
func (a *Auto) say(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if s != a.said {
		a.said = s
		a.o.Logf("%s", s)
	}
}
