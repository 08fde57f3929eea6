package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/poll"
)

// DefaultWaitTimeout is how long Wait waits when WaitOptions.Timeout is 0:
// long enough for a few images to be pulled on every node.
const DefaultWaitTimeout = 3 * time.Minute

// waitEvery is how often Wait asks the manager: two cheap calls a time.
const waitEvery = 500 * time.Millisecond

// WaitOptions tune Wait.
type WaitOptions struct {
	// Timeout bounds the wait; 0 means DefaultWaitTimeout.
	Timeout time.Duration
	// Report receives a progress line for a service each time its counts
	// change ("web: 1/2 running"); nil says nothing.
	Report func(line string)
}

// Wait waits until every service of stack name listed in services (their
// names in the compose file) runs what it should: all desired tasks
// running (healthy, where the image has a healthcheck), or for a job all
// completions done, and no update or rollback in progress. It fails at
// once when a task created since the service's last update failed or was
// rejected, naming the service, the node and the task's error; when an
// update paused or was rolled back; and after the timeout, naming every
// service not ready with its counts.
func Wait(ctx context.Context, mgr client.APIClient, name string, services []string, opts WaitOptions) error {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	w := &waiter{mgr: mgr, name: name, services: services, report: opts.Report, said: map[string]string{}}
	err := poll.Until(ctx, "stack "+name+" ready", waitEvery, timeout, w.check)
	var te *poll.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%w (see: docker stack ps --no-trunc %s)", err, name)
	}
	return err
}

type waiter struct {
	mgr      client.APIClient
	name     string
	services []string
	report   func(string)
	said     map[string]string // the last progress line per service
}

// check is one look at the stack: nil when ready, a poll.Stop error on a
// failure, otherwise what is still awaited.
func (w *waiter) check(ctx context.Context) error {
	all, err := listServices(ctx, w.mgr, w.name)
	if err != nil {
		return err
	}
	byName := map[string]swarm.Service{}
	for _, s := range all {
		byName[s.Spec.Name] = s
	}
	mine := make([]swarm.Service, len(w.services))
	for i, s := range w.services {
		svc, ok := byName[w.name+"_"+s]
		if !ok {
			return poll.Stop(fmt.Errorf("stack %s has no service %s_%s to wait for: was it removed meanwhile? deploy the stack again", w.name, w.name, s))
		}
		mine[i] = svc
	}
	tasks, err := stackTasks(ctx, w.mgr, mine)
	if err != nil {
		return err
	}
	byService := map[string][]swarm.Task{}
	for _, t := range tasks {
		byService[t.ServiceID] = append(byService[t.ServiceID], t)
	}
	var waiting []string
	for i, s := range w.services {
		svc, st := mine[i], stateOf(mine[i])
		if err := w.failure(ctx, s, svc, st, byService[svc.ID]); err != nil {
			return poll.Stop(err)
		}
		w.progress(s, st)
		if why := notReady(svc, st, byService[svc.ID]); why != "" {
			waiting = append(waiting, s+": "+why)
		}
	}
	if len(waiting) > 0 {
		return errors.New(strings.Join(waiting, "; "))
	}
	return nil
}

// progress reports a service's counts when they changed since last said.
func (w *waiter) progress(s string, st ServiceState) {
	line := s + ": " + st.Counts()
	if updating(st.Update) {
		line += ", " + string(st.Update)
	}
	if w.report != nil && w.said[s] != line {
		w.report(line)
	}
	w.said[s] = line
}

func updating(u swarm.UpdateState) bool {
	return u == swarm.UpdateStateUpdating || u == swarm.UpdateStateRollbackStarted
}

// notReady says why a service is not ready yet, "" when it is. Right
// after an update swarm has not yet marked it updating and the old tasks
// still run, so only tasks of the current container spec count as
// running; for a task not running, its own word (pending: no suitable
// node, preparing: pulling the image) says why.
func notReady(svc swarm.Service, st ServiceState, tasks []swarm.Task) string {
	if updating(st.Update) {
		return st.Counts() + ", " + string(st.Update)
	}
	if st.AtDesired() && (st.Job() || currentRunning(svc, tasks) >= st.Desired) {
		return ""
	}
	why := st.Counts()
	var newest *swarm.Task
	for i, t := range tasks {
		if t.DesiredState == swarm.TaskStateRunning && t.Status.State != swarm.TaskStateRunning &&
			(newest == nil || t.CreatedAt.After(newest.CreatedAt)) {
			newest = &tasks[i]
		}
	}
	if newest != nil {
		why += fmt.Sprintf(" (a task is %s", newest.Status.State)
		if e := taskError(*newest); e != "" {
			why += ": " + e
		}
		why += ")"
	}
	return why
}

// currentRunning counts the running tasks of svc's current container spec.
func currentRunning(svc swarm.Service, tasks []swarm.Task) uint64 {
	want, _ := json.Marshal(svc.Spec.TaskTemplate.ContainerSpec)
	var n uint64
	for _, t := range tasks {
		got, _ := json.Marshal(t.Spec.ContainerSpec)
		if t.DesiredState == swarm.TaskStateRunning && t.Status.State == swarm.TaskStateRunning && string(got) == string(want) {
			n++
		}
	}
	return n
}
