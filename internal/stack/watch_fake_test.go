package stack

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// watchManager is a swarm manager holding services, tasks and nodes, and
// answering the list calls the way the engine filters them.
type watchManager struct {
	client.APIClient // not called: only the methods below are

	mu       sync.Mutex
	services []swarm.Service
	tasks    []swarm.Task
	nodes    []swarm.Node
	logs     map[string]string // service ID -> the stream ServiceLogs returns
	// before, when set, changes the swarm before each ServiceList call
	// (n counts the calls from 1): a cluster that moves on while polled.
	before func(f *watchManager, n int)
	lists  int
}

var w0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// watchService is a replicated service of stack "demo" with its engine counts.
func watchService(short string, desired, running uint64) swarm.Service {
	s := swarm.Service{ID: "id-" + short}
	s.UpdatedAt = w0
	s.Spec.Name = "demo_" + short
	s.Spec.Labels = map[string]string{LabelNamespace: "demo"}
	s.Spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &desired}
	s.Spec.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{Image: "nginx:1@sha256:abc"}
	s.ServiceStatus = &swarm.ServiceStatus{DesiredTasks: desired, RunningTasks: running}
	return s
}

// watchTask is a task of s in slot, created at, in state.
func watchTask(s swarm.Service, slot int, node string, at time.Time, state swarm.TaskState) swarm.Task {
	t := swarm.Task{ID: "t" + string(rune('0'+slot)) + at.Format("150405"), ServiceID: s.ID, Slot: slot, NodeID: node, DesiredState: swarm.TaskStateRunning}
	t.CreatedAt = at
	t.Spec = s.Spec.TaskTemplate
	t.Status = swarm.TaskStatus{State: state, Timestamp: at}
	return t
}

func (f *watchManager) ServiceList(_ context.Context, opts swarm.ServiceListOptions) ([]swarm.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.before != nil {
		f.before(f, f.lists)
	}
	var out []swarm.Service
	for _, s := range f.services {
		ok := true
		for _, l := range opts.Filters.Get("label") {
			k, v, hasValue := strings.Cut(l, "=")
			got, has := s.Spec.Labels[k]
			ok = ok && has && (!hasValue || got == v)
		}
		if !ok {
			continue
		}
		if !opts.Status {
			s.ServiceStatus = nil // the engine counts only when asked to
		}
		out = append(out, s)
	}
	return out, nil
}

func (f *watchManager) TaskList(_ context.Context, opts swarm.TaskListOptions) ([]swarm.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := opts.Filters.Get("service")
	if len(ids) == 0 {
		return nil, errors.New("fake: a stack's tasks are asked by service")
	}
	var out []swarm.Task
	for _, t := range f.tasks {
		if slices.Contains(ids, t.ServiceID) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *watchManager) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return f.nodes, nil
}

func (f *watchManager) NodeInspectWithRaw(_ context.Context, id string) (swarm.Node, []byte, error) {
	for _, n := range f.nodes {
		if n.ID == id {
			return n, nil, nil
		}
	}
	return swarm.Node{}, nil, errors.New("fake: no such node")
}

func (f *watchManager) ServiceLogs(_ context.Context, id string, opts container.LogsOptions) (io.ReadCloser, error) {
	if !opts.ShowStdout || !opts.ShowStderr {
		return nil, errors.New("fake: both streams must be asked for")
	}
	s, ok := f.logs[id]
	if !ok {
		return nil, errors.New("fake: no such service")
	}
	return io.NopCloser(strings.NewReader(s)), nil
}

func watchNode(id, hostname string) swarm.Node {
	n := swarm.Node{ID: id}
	n.Description.Hostname = hostname
	return n
}
