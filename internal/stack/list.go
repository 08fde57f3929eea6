package stack

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// Summary is one stack as skep stack ls shows it.
type Summary struct {
	Name     string `json:"name"`
	Services int    `json:"services"`
}

// ServiceState is one stack service as docker service ls shows it: the
// task counts the engine computes (desired is the replica count, or one
// per eligible node for a global service) and where its last update
// stands. A task with a healthcheck is not running before its container
// is healthy (swarm holds it in "starting"), so Running counts healthy
// tasks only.
type ServiceState struct {
	Stack string
	Name  string // the swarm service's name, STACK_service
	ID    string
	Mode  string // replicated, global, replicated-job or global-job
	// Counted says the engine gave the counts below; a service it has not
	// counted yet reads as 0/0.
	Counted                     bool
	Desired, Running, Completed uint64
	// Total is the completions a replicated job needs.
	Total     uint64
	UpdatedAt time.Time
	// Update is the state of the service's last update, "" if never
	// updated; UpdateMessage is swarm's word on it.
	Update        swarm.UpdateState
	UpdateMessage string
}

// Job tells a job service (its tasks end by design) from a long-running one.
func (s ServiceState) Job() bool { return strings.HasSuffix(s.Mode, "-job") }

// AtDesired tells whether the service runs what it should: every desired
// task running, or for a job every completion done. A global service with
// no desired task is not: right after creation the orchestrator has not
// made its tasks yet, and a global service placed on no node runs nothing.
func (s ServiceState) AtDesired() bool {
	switch s.Mode {
	case "replicated-job":
		return s.Completed >= s.Total
	case "global-job":
		return s.Desired == 0 && s.Completed > 0
	case "global":
		return s.Desired > 0 && s.Running >= s.Desired
	}
	return s.Counted && s.Running >= s.Desired
}

// Counts renders the counts as docker service ls does: "1/2" running of
// desired, "2/3 completed" for a replicated job.
func (s ServiceState) Counts() string {
	switch s.Mode {
	case "replicated-job":
		return fmt.Sprintf("%d/%d completed", s.Completed, s.Total)
	case "global-job":
		return fmt.Sprintf("%d/%d completed", s.Completed, s.Desired+s.Completed)
	}
	return fmt.Sprintf("%d/%d running", s.Running, s.Desired)
}

// Services lists the services of stack name (of every stack when name is
// ""), sorted by stack then name, with their counts: one ServiceList call.
func Services(ctx context.Context, mgr client.APIClient, name string) ([]ServiceState, error) {
	svcs, err := listServices(ctx, mgr, name)
	if err != nil {
		return nil, err
	}
	out := make([]ServiceState, 0, len(svcs))
	for _, s := range svcs {
		out = append(out, stateOf(s))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Stack != out[j].Stack {
			return out[i].Stack < out[j].Stack
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// List lists the stacks, by name: those with at least one service, as
// docker stack ls does.
func List(ctx context.Context, mgr client.APIClient) ([]Summary, error) {
	svcs, err := Services(ctx, mgr, "")
	if err != nil {
		return nil, err
	}
	out := []Summary{}
	for _, s := range svcs {
		if n := len(out); n > 0 && out[n-1].Name == s.Stack {
			out[n-1].Services++
			continue
		}
		out = append(out, Summary{Name: s.Stack, Services: 1})
	}
	return out, nil
}

// listServices asks the manager for a stack's services (every stack's
// when name is "") with the engine's task counts.
func listServices(ctx context.Context, mgr client.APIClient, name string) ([]swarm.Service, error) {
	label := LabelNamespace
	if name != "" {
		label += "=" + name
	}
	svcs, err := mgr.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", label)), Status: true})
	if err != nil {
		return nil, fmt.Errorf("list the services of %s: %w", stackWord(name), err)
	}
	return svcs, nil
}

func stackWord(name string) string {
	if name == "" {
		return "every stack"
	}
	return "stack " + name
}

func stateOf(s swarm.Service) ServiceState {
	st := ServiceState{Stack: s.Spec.Labels[LabelNamespace], Name: s.Spec.Name, ID: s.ID, UpdatedAt: s.UpdatedAt}
	switch m := s.Spec.Mode; {
	case m.Global != nil:
		st.Mode = "global"
	case m.ReplicatedJob != nil:
		st.Mode, st.Total = "replicated-job", 1
		if m.ReplicatedJob.TotalCompletions != nil {
			st.Total = *m.ReplicatedJob.TotalCompletions
		}
	case m.GlobalJob != nil:
		st.Mode = "global-job"
	default:
		st.Mode = "replicated"
	}
	if c := s.ServiceStatus; c != nil {
		st.Counted = true
		st.Desired, st.Running, st.Completed = c.DesiredTasks, c.RunningTasks, c.CompletedTasks
	}
	if u := s.UpdateStatus; u != nil {
		st.Update, st.UpdateMessage = u.State, u.Message
	}
	return st
}
