// Package rebalance spreads replicated services evenly over the nodes
// they may run on again, after swarm has crowded them together.
//
// Swarm never moves a running task by itself. When a node dies, its tasks
// are started on the others; when it comes back it stays empty until
// something starts new tasks, so one node may end up carrying most of a
// service. A forced rolling update (what `docker service update --force`
// does) replaces every task, one batch at a time, under the service's own
// update settings, and swarm's scheduler places each new task on the
// eligible node that runs the fewest active tasks of that service
// (swarmkit's scheduler orders nodes by ActiveTasksCountByService, total
// tasks breaking ties; with stop-first the old task's slot is freed before
// the new one is placed). So the update lands the tasks spread out, and
// with more than one replica updated a batch at a time the service never
// stops answering.
//
// The package has four parts: which nodes a service may run on
// (eligible.go), the pure plan from what the swarm holds (plan.go), the
// rolling updates and their wait (execute.go), and the loop that does it
// by itself on the swarm leader when the cluster file asks (auto.go).
package rebalance

import (
	"context"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
)

// Engine is the part of a manager's Docker API planning and rolling use;
// client.APIClient has it.
type Engine interface {
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
	ServiceList(ctx context.Context, options swarm.ServiceListOptions) ([]swarm.Service, error)
	ServiceInspectWithRaw(ctx context.Context, serviceID string, options swarm.ServiceInspectOptions) (swarm.Service, []byte, error)
	ServiceUpdate(ctx context.Context, serviceID string, version swarm.Version, service swarm.ServiceSpec, options swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error)
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
}

// LeaderEngine is what the automatic loop also needs: to tell whether its
// own node leads the swarm.
type LeaderEngine interface {
	Engine
	Info(ctx context.Context) (system.Info, error)
	NodeInspectWithRaw(ctx context.Context, nodeID string) (swarm.Node, []byte, error)
}

// Action is what became, or would become, of one service.
type Action string

const (
	// Balanced: its tasks are as evenly spread as they can be; untouched.
	Balanced Action = "balanced"
	// Planned: unbalanced; a rolling update would spread it (dry run).
	Planned Action = "rebalance"
	// Rebalanced: rolled, and now evenly spread.
	Rebalanced Action = "rebalanced"
	// Unbalanced: rolled, and swarm still placed it unevenly (Reason says
	// what may hold it).
	Unbalanced Action = "unbalanced"
	// Skipped: left alone on purpose (Reason says why).
	Skipped Action = "skipped"
	// Refused: unbalanced, but rolling it would stop it (parallelism 0).
	Refused Action = "refused"
	// Failed: its rolling update failed (Reason holds swarm's word).
	Failed Action = "failed"
)

// Service is one replicated service's part of a plan or a report: where
// its tasks ran before, where they run after, what was done and why. The
// JSON names are the contract of `skep rebalance --output json`.
type Service struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Stack    string `json:"stack"` // "" when it belongs to no stack
	Replicas uint64 `json:"replicas"`
	// Eligible are the nodes (hostnames) that may take a task of it now:
	// ready, active and matching its constraints. Always an array.
	Eligible []string `json:"eligible"`
	// Before is its running tasks per node when planned; every eligible
	// node is there, with 0 when it runs none.
	Before map[string]int `json:"before"`
	// After is the same once rolled; null for a service not rolled.
	After  map[string]int `json:"after"`
	Action Action         `json:"action"`
	Reason string         `json:"reason"`

	specHash string // its spec but the force counter (see fingerprint)
}

// Done says whether a report leaves the cluster as asked: every service
// considered is balanced, rebalanced or left alone on purpose.
func Done(services []Service) bool {
	for _, s := range services {
		switch s.Action {
		case Balanced, Rebalanced, Skipped:
		default:
			return false
		}
	}
	return true
}
