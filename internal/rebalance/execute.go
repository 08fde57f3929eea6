package rebalance

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/poll"
)

// DefaultTimeout bounds one service's rolling update when Options.Timeout
// is 0: a few minutes per task would be a slow service indeed.
const DefaultTimeout = 10 * time.Minute

// maxRounds is how many rolling updates one service gets. Under stop-first
// one is enough (each new task lands on the emptiest node once the old
// one's place is freed); under start-first the new task is placed while
// the old still counts, and with ties broken by other services' tasks one
// round may end one task off, so it gets another.
const maxRounds = 3

// waitEvery is how often the wait asks the manager: two cheap calls.
const waitEvery = 500 * time.Millisecond

// callTimeout bounds each call to the manager: a frozen manager, or one
// holding requests while the swarm has no leader, fails the look (and the
// wait tries again) instead of hanging the run.
const callTimeout = 15 * time.Second

// Options tune Execute.
type Options struct {
	// Timeout bounds each service's rolling update; 0 means DefaultTimeout.
	Timeout time.Duration
	// Report receives progress lines ("web: 2/3 tasks replaced"); nil
	// says nothing.
	Report func(line string)

	every time.Duration // how often the wait looks; tests shorten it
}

// Execute rolls the planned services of plan one at a time (a forced
// rolling update under the service's own update settings), waits for each
// to complete and reads where its tasks run now. It returns plan with the
// outcome of each rolled service (Rebalanced, Unbalanced or Failed, with
// After). It stops at the first failure, returning its error; the services
// not reached are Skipped, saying so.
func Execute(ctx context.Context, eng Engine, plan []Service, o Options) ([]Service, error) {
	x := &executor{eng: eng, timeout: o.Timeout, every: o.every, report: o.Report}
	if x.timeout <= 0 {
		x.timeout = DefaultTimeout
	}
	if x.every <= 0 {
		x.every = waitEvery
	}
	if x.report == nil {
		x.report = func(string) {}
	}
	out := append([]Service(nil), plan...)
	var failed error
	for i := range out {
		s := &out[i]
		if s.Action != Planned {
			continue
		}
		if failed != nil {
			s.Action, s.Reason = Skipped, "not tried: an earlier service's rolling update failed"
			continue
		}
		if err := x.roll(ctx, s); err != nil {
			s.Action, s.Reason = Failed, err.Error()
			failed = err
		}
	}
	return out, failed
}

type executor struct {
	eng     Engine
	timeout time.Duration
	every   time.Duration
	report  func(string)
}

// roll spreads one service: a forced rolling update, the wait, a look at
// the spread, and again while it is uneven, up to maxRounds.
func (x *executor) roll(ctx context.Context, s *Service) error {
	for round := 1; ; round++ {
		if err := x.once(ctx, s, round); err != nil || s.Action != Planned {
			return err
		}
	}
}

// once is one round of roll; s keeps Action Planned when another round
// is due.
func (x *executor) once(ctx context.Context, s *Service, round int) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	svc, _, err := x.eng.ServiceInspectWithRaw(cctx, s.ID, swarm.ServiceInspectOptions{})
	if err != nil {
		return fmt.Errorf("service %s: inspect: %w", s.Name, err)
	}
	if err := stillRollable(svc, s.Name); err != nil {
		return err
	}
	spec := svc.Spec
	// The engine sees a new task template and replaces every task,
	// as docker service update --force does; nothing else changes,
	// so skep's spec-hash label still matches what deploy declared
	// and the next deploy of an unchanged file changes nothing.
	spec.TaskTemplate.ForceUpdate++
	what := "rolling update"
	if round > 1 {
		what = fmt.Sprintf("still uneven; rolling update %d of %d", round, maxRounds)
	}
	x.report(fmt.Sprintf("%s: %s (%s) of %d tasks", s.Name, what, rollWay(spec.UpdateConfig), replicas(spec)))
	resp, err := x.eng.ServiceUpdate(cctx, svc.ID, svc.Version, spec, swarm.ServiceUpdateOptions{})
	if err != nil {
		return fmt.Errorf("service %s: update: %w", s.Name, err)
	}
	for _, w := range resp.Warnings {
		x.report(s.Name + ": swarm warns: " + w)
	}
	if err := x.wait(ctx, s.Name, svc.ID, spec.TaskTemplate.ForceUpdate, replicas(spec)); err != nil {
		return err
	}
	lctx, lcancel := context.WithTimeout(ctx, callTimeout)
	defer lcancel()
	now, err := x.look(lctx, svc.ID)
	if err != nil {
		return fmt.Errorf("service %s: read the spread after the update: %w", s.Name, err)
	}
	s.After = now.Before
	x.report(fmt.Sprintf("%s: %s (was %s)", s.Name, Spread(s.After), Spread(s.Before)))
	if now.Action == Balanced {
		s.Action, s.Reason = Rebalanced, fmt.Sprintf("spread over %d nodes, at most one task apart", len(now.Eligible))
		return nil
	}
	if round == maxRounds {
		s.Action, s.Reason = Unbalanced, fmt.Sprintf("after %d rolling updates swarm still placed it so (%s); what may hold it: resource reservations, max_replicas_per_node, an image missing on a node (docker service ps --no-trunc %s)",
			maxRounds, now.Reason, s.Name)
	}
	return nil
}

// stillRollable checks again, just before the update, what the plan
// checked: the service may have changed since.
func stillRollable(svc swarm.Service, name string) error {
	spec := svc.Spec
	if spec.Mode.Replicated == nil {
		return fmt.Errorf("service %s: no longer a replicated service; run again", name)
	}
	if u := svc.UpdateStatus; u != nil && (u.State == swarm.UpdateStateUpdating || u.State == swarm.UpdateStateRollbackStarted) {
		return fmt.Errorf("service %s: an update started meanwhile (%s); run again once it is done", name, u.State)
	}
	if why := unsafeRoll(spec.UpdateConfig, replicas(spec)); why != "" {
		return fmt.Errorf("service %s: %s", name, why)
	}
	return nil
}

// look plans the one service again from what the swarm holds now.
func (x *executor) look(ctx context.Context, id string) (Service, error) {
	svc, _, err := x.eng.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return Service{}, err
	}
	nodes, err := x.eng.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return Service{}, err
	}
	tasks, err := tasksOf(ctx, x.eng, []swarm.Service{svc})
	if err != nil {
		return Service{}, err
	}
	return assess(svc, tasks, nodes, nodeNames(nodes)), nil
}

// wait waits until the rolling update that set force completes: swarm
// says completed and every running task is a new one (its template
// carries force), as many as the service wants. A paused or rolled back
// update ends it at once, naming the task error that caused it.
func (x *executor) wait(ctx context.Context, name, id string, force, want uint64) error {
	said := ""
	err := poll.Until(ctx, name+" rolling update", x.every, x.timeout, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		svc, _, err := x.eng.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
		if client.IsErrNotFound(err) {
			return poll.Stop(fmt.Errorf("service %s was removed during its rolling update", name))
		}
		if err != nil {
			return err
		}
		tasks, err := x.eng.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", id))})
		if err != nil {
			return err
		}
		var fresh, old uint64
		for _, t := range tasks {
			switch {
			case !isRunning(t):
			case t.Spec.ForceUpdate == force:
				fresh++
			default:
				old++
			}
		}
		if line := fmt.Sprintf("%s: %d/%d tasks replaced", name, fresh, want); line != said {
			x.report(line)
			said = line
		}
		state := swarm.UpdateState("not started")
		if u := svc.UpdateStatus; u != nil {
			state = u.State
			switch u.State {
			case swarm.UpdateStatePaused, swarm.UpdateStateRollbackPaused, swarm.UpdateStateRollbackStarted, swarm.UpdateStateRollbackCompleted:
				return poll.Stop(x.updateFailed(ctx, name, u, tasks, force))
			}
		}
		if (state == "not started" || state == swarm.UpdateStateCompleted) && fresh >= want && old == 0 {
			return nil
		}
		return fmt.Errorf("%d of %d tasks replaced, %d old still running, update %s", fresh, want, old, state)
	})
	var te *poll.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("service %s: %w; swarm goes on with it (docker service ps %s)", name, err, name)
	}
	return err
}

// updateFailed is the error of an update swarm paused or rolled back:
// swarm's message, and the newest new task that failed, with its node.
func (x *executor) updateFailed(ctx context.Context, name string, u *swarm.UpdateStatus, tasks []swarm.Task, force uint64) error {
	msg := fmt.Sprintf("service %s: rolling update %s", name, u.State)
	if u.Message != "" {
		msg += ": " + u.Message
	}
	var bad *swarm.Task
	for i, t := range tasks {
		failed := t.Status.State == swarm.TaskStateFailed || t.Status.State == swarm.TaskStateRejected
		if failed && t.Spec.ForceUpdate == force && (bad == nil || t.CreatedAt.After(bad.CreatedAt)) {
			bad = &tasks[i]
		}
	}
	if bad != nil {
		where := shortID(bad.NodeID)
		if nodes, err := x.eng.NodeList(ctx, swarm.NodeListOptions{}); err == nil {
			where = nodeName(nodeNames(nodes), bad.NodeID)
		}
		text := bad.Status.Err
		if text == "" {
			text = bad.Status.Message
		}
		msg += fmt.Sprintf("; task on %s %s: %q", where, bad.Status.State, text)
	}
	return fmt.Errorf("%s; fix the service, then docker service update --rollback %s or deploy it again (docker service ps --no-trunc %s)", msg, name, name)
}

// Spread is a spread as one line, nodes by name: "node1=2 node2=1".
func Spread(count map[string]int) string {
	if len(count) == 0 {
		return "no node"
	}
	names := make([]string, 0, len(count))
	for n := range count {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, count[n])
	}
	return strings.Join(parts, " ")
}
