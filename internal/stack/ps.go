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

// TaskRow is one task of a stack as docker stack ps shows it.
type TaskRow struct {
	ID string `json:"id"`
	// Name is SERVICE.SLOT, or SERVICE.NODEID for a global service.
	Name         string    `json:"name"`
	Image        string    `json:"image"`
	Node         string    `json:"node"` // hostname; "" when not scheduled
	DesiredState string    `json:"desired_state"`
	CurrentState string    `json:"current_state"`
	Since        time.Time `json:"since"` // when it entered CurrentState
	Error        string    `json:"error"`
}

// Tasks lists the tasks of stack name, each service's slots in order and,
// within a slot, the newest task first (the ones before it are its
// history: what failed or was replaced).
func Tasks(ctx context.Context, mgr client.APIClient, name string) ([]TaskRow, error) {
	svcs, err := listServices(ctx, mgr, name)
	if err != nil {
		return nil, err
	}
	if len(svcs) == 0 {
		return nil, fmt.Errorf("no stack %s: no service carries the label %s=%s", name, LabelNamespace, name)
	}
	tasks, err := stackTasks(ctx, mgr, svcs)
	if err != nil {
		return nil, err
	}
	nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the swarm's nodes: %w", err)
	}
	hosts := map[string]string{}
	for _, n := range nodes {
		hosts[n.ID] = n.Description.Hostname
	}
	names := map[string]string{}
	for _, s := range svcs {
		names[s.ID] = s.Spec.Name
	}
	sort.SliceStable(tasks, func(i, j int) bool {
		a, b := tasks[i], tasks[j]
		if names[a.ServiceID] != names[b.ServiceID] {
			return names[a.ServiceID] < names[b.ServiceID]
		}
		if a.Slot != b.Slot {
			return a.Slot < b.Slot
		}
		if a.Slot == 0 && a.NodeID != b.NodeID { // global: by node
			return hosts[a.NodeID] < hosts[b.NodeID]
		}
		return a.CreatedAt.After(b.CreatedAt)
	})
	rows := make([]TaskRow, 0, len(tasks))
	for _, t := range tasks {
		rows = append(rows, TaskRow{
			ID:           t.ID,
			Name:         taskName(names[t.ServiceID], t),
			Image:        shortImage(t.Spec.ContainerSpec),
			Node:         hosts[t.NodeID],
			DesiredState: string(t.DesiredState),
			CurrentState: string(t.Status.State),
			Since:        t.Status.Timestamp,
			Error:        t.Status.Err,
		})
	}
	return rows, nil
}

// stackTasks lists the tasks of the services given, in one call.
func stackTasks(ctx context.Context, mgr client.APIClient, svcs []swarm.Service) ([]swarm.Task, error) {
	if len(svcs) == 0 {
		return nil, nil
	}
	f := filters.NewArgs()
	for _, s := range svcs {
		f.Add("service", s.ID)
	}
	tasks, err := mgr.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list the tasks of stack %s: %w", svcs[0].Spec.Labels[LabelNamespace], err)
	}
	return tasks, nil
}

// taskName is the name docker gives a task's container, without the task
// ID: SERVICE.SLOT, or SERVICE.NODEID for a global service (slot 0).
func taskName(service string, t swarm.Task) string {
	if t.Slot != 0 {
		return fmt.Sprintf("%s.%d", service, t.Slot)
	}
	return service + "." + t.NodeID
}

// shortImage drops the digest swarm pins a tagged image to, as docker
// stack ps does: a digest alone is all there is of an untagged one.
func shortImage(c *swarm.ContainerSpec) string {
	if c == nil {
		return ""
	}
	img := c.Image
	at := strings.Index(img, "@")
	if at < 0 {
		return img
	}
	name := img[:at]
	if strings.LastIndex(name, ":") > strings.LastIndex(name, "/") {
		return name
	}
	return img
}
