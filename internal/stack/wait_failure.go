package stack

import (
	"context"
	"fmt"
	"sort"

	"github.com/docker/docker/api/types/swarm"
)

// failure is the error that ends the wait for service s, nil if none: an
// update swarm paused or rolled back, or the first task created since the
// service's last update (so of its current spec) that failed or was
// rejected.
func (w *waiter) failure(ctx context.Context, s string, svc swarm.Service, st ServiceState, tasks []swarm.Task) error {
	hint := fmt.Sprintf("(see: docker service ps --no-trunc %s)", svc.Spec.Name)
	switch st.Update {
	case swarm.UpdateStatePaused, swarm.UpdateStateRollbackPaused:
		return fmt.Errorf("%s: update %s: %s; fix the stack and deploy it again %s", s, st.Update, st.UpdateMessage, hint)
	case swarm.UpdateStateRollbackCompleted:
		return fmt.Errorf("%s: update rolled back: %s %s", s, st.UpdateMessage, hint)
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].CreatedAt.Before(tasks[j].CreatedAt) })
	for _, t := range tasks {
		if t.CreatedAt.Before(svc.UpdatedAt) {
			continue
		}
		if t.Status.State != swarm.TaskStateFailed && t.Status.State != swarm.TaskStateRejected {
			continue
		}
		where := s
		if t.NodeID != "" {
			where += " on " + w.hostname(ctx, t.NodeID)
		}
		return fmt.Errorf("%s: task %s: %q %s", where, t.Status.State, taskError(t), hint)
	}
	return nil
}

// hostname is a node's hostname, or its ID when the manager cannot say.
func (w *waiter) hostname(ctx context.Context, id string) string {
	n, _, err := w.mgr.NodeInspectWithRaw(ctx, id)
	if err != nil || n.Description.Hostname == "" {
		return "node " + id
	}
	return n.Description.Hostname
}

func taskError(t swarm.Task) string {
	if t.Status.Err != "" {
		return t.Status.Err
	}
	return t.Status.Message
}
