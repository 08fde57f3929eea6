package rebalance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
)

// fakeSwarm is a manager's engine over an in-memory swarm. A service
// update starts a rolling update that advances one task each time the
// service is inspected, as swarm's updater does one batch at a time
// (stop-first, parallelism 1): the old task is shut down, then the new one
// is placed by place. Its default is swarm's rule (the eligible node with
// the fewest active tasks of the service; here the first by name among
// equals), so these tests check skep's loop against that rule; that
// swarm itself follows it is what the lab's end-to-end test shows.
type fakeSwarm struct {
	nodes    []swarm.Node
	services []*swarm.Service
	tasks    []swarm.Task
	// place picks the node of a new task; nil is swarm's rule.
	place func(f *fakeSwarm, svc *swarm.Service) string
	// pauseWith, when set, fails the first new task with this error and
	// pauses the update, as failure_action pause does.
	pauseWith string
	updates   []string // "NAME force=N version=V"
	self      string   // node ID of this engine
	leader    string   // node ID of the leader
	seq       int
	now       time.Time
}

func newFake(nodes ...swarm.Node) *fakeSwarm {
	return &fakeSwarm{nodes: nodes, self: nodes[0].ID, leader: nodes[0].ID, now: t0}
}

// t0 is the fake's clock; nodes were last updated an hour before.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type nodeOpt func(*swarm.Node)

func mkNode(name string, opts ...nodeOpt) swarm.Node {
	n := swarm.Node{ID: "id-" + name}
	n.Description.Hostname = name
	n.Description.Platform = swarm.Platform{OS: "linux", Architecture: "x86_64"}
	n.Spec.Role = swarm.NodeRoleManager
	n.Spec.Availability = swarm.NodeAvailabilityActive
	n.Status.State = swarm.NodeStateReady
	n.Meta.UpdatedAt = t0.Add(-time.Hour)
	for _, o := range opts {
		o(&n)
	}
	return n
}

func worker(n *swarm.Node)  { n.Spec.Role = swarm.NodeRoleWorker }
func drained(n *swarm.Node) { n.Spec.Availability = swarm.NodeAvailabilityDrain }
func paused(n *swarm.Node)  { n.Spec.Availability = swarm.NodeAvailabilityPause }
func down(n *swarm.Node)    { n.Status.State = swarm.NodeStateDown }
func labels(kv ...string) nodeOpt {
	return func(n *swarm.Node) {
		n.Spec.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			n.Spec.Labels[kv[i]] = kv[i+1]
		}
	}
}
func updatedAt(t time.Time) nodeOpt { return func(n *swarm.Node) { n.Meta.UpdatedAt = t } }

type svcOpt func(*swarm.Service)

func mkService(name string, replicas uint64, opts ...svcOpt) *swarm.Service {
	s := &swarm.Service{ID: "svc-" + name}
	s.Version.Index = 10
	s.Spec.Name = name
	s.Spec.Labels = map[string]string{"com.docker.stack.namespace": strings.SplitN(name, "_", 2)[0]}
	s.Spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &replicas}
	s.Spec.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{Image: "app:1"}
	for _, o := range opts {
		o(s)
	}
	return s
}

func constraints(c ...string) svcOpt {
	return func(s *swarm.Service) { s.Spec.TaskTemplate.Placement = &swarm.Placement{Constraints: c} }
}
func update(c swarm.UpdateConfig) svcOpt {
	return func(s *swarm.Service) { s.Spec.UpdateConfig = &c }
}
func label(k, v string) svcOpt { return func(s *swarm.Service) { s.Spec.Labels[k] = v } }
func updateState(st swarm.UpdateState) svcOpt {
	return func(s *swarm.Service) {
		s.UpdateStatus = &swarm.UpdateStatus{State: st, Message: "update " + string(st)}
	}
}
func global(s *swarm.Service) {
	s.Spec.Mode = swarm.ServiceMode{Global: &swarm.GlobalService{}}
}

// run adds running tasks of s, one per node named (a name twice: two).
func (f *fakeSwarm) run(s *swarm.Service, nodes ...string) *fakeSwarm {
	f.services = append(f.services, s)
	for _, n := range nodes {
		f.addTask(s, "id-"+n, swarm.TaskStateRunning, "")
	}
	return f
}

func (f *fakeSwarm) addTask(s *swarm.Service, nodeID string, st swarm.TaskState, errText string) {
	f.seq++
	f.now = f.now.Add(time.Second)
	t := swarm.Task{ID: fmt.Sprintf("task%d", f.seq), ServiceID: s.ID, NodeID: nodeID, Spec: s.Spec.TaskTemplate, DesiredState: swarm.TaskStateRunning}
	t.CreatedAt = f.now
	t.Status.State, t.Status.Err = st, errText
	if st != swarm.TaskStateRunning {
		t.DesiredState = swarm.TaskStateShutdown
	}
	f.tasks = append(f.tasks, t)
}

func (f *fakeSwarm) service(id string) *swarm.Service {
	for _, s := range f.services {
		if s.ID == id || s.Spec.Name == id {
			return s
		}
	}
	return nil
}

// spread is where s's tasks run now, as "node1=1 node2=2".
func (f *fakeSwarm) spread(s *swarm.Service) string {
	count := map[string]int{}
	for _, t := range f.tasks {
		if t.ServiceID == s.ID && isRunning(t) {
			count[strings.TrimPrefix(t.NodeID, "id-")]++
		}
	}
	return Spread(count)
}

func (f *fakeSwarm) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return slices.Clone(f.nodes), nil
}

func (f *fakeSwarm) ServiceList(_ context.Context, o swarm.ServiceListOptions) ([]swarm.Service, error) {
	var out []swarm.Service
	for _, s := range f.services {
		keep := true
		for _, l := range o.Filters.Get("label") {
			k, v, _ := strings.Cut(l, "=")
			keep = keep && s.Spec.Labels[k] == v
		}
		if keep {
			out = append(out, *s)
		}
	}
	return out, nil
}

func (f *fakeSwarm) ServiceInspectWithRaw(_ context.Context, id string, _ swarm.ServiceInspectOptions) (swarm.Service, []byte, error) {
	s := f.service(id)
	if s == nil {
		return swarm.Service{}, nil, cerrdefs.ErrNotFound.WithMessage("no service " + id)
	}
	f.step(s)
	return *s, nil, nil
}

func (f *fakeSwarm) ServiceUpdate(_ context.Context, id string, v swarm.Version, spec swarm.ServiceSpec, _ swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error) {
	s := f.service(id)
	if s == nil {
		return swarm.ServiceUpdateResponse{}, errors.New("no such service")
	}
	if v.Index != s.Version.Index {
		return swarm.ServiceUpdateResponse{}, errors.New("update out of sequence")
	}
	s.Spec = spec
	s.Version.Index++
	s.UpdateStatus = nil // swarm resets it on every update
	f.updates = append(f.updates, fmt.Sprintf("%s force=%d version=%d", spec.Name, spec.TaskTemplate.ForceUpdate, v.Index))
	return swarm.ServiceUpdateResponse{}, nil
}

// step advances s's rolling update by one task.
func (f *fakeSwarm) step(s *swarm.Service) {
	u := s.UpdateStatus
	if u != nil && u.State != swarm.UpdateStateUpdating {
		return
	}
	force := s.Spec.TaskTemplate.ForceUpdate
	if u == nil {
		if !f.hasOld(s, force) {
			return // nothing to roll: no update under way
		}
		s.UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateUpdating}
		return
	}
	for i, t := range f.tasks {
		if t.ServiceID != s.ID || !isRunning(t) || t.Spec.ForceUpdate == force {
			continue
		}
		f.tasks[i].DesiredState, f.tasks[i].Status.State = swarm.TaskStateShutdown, swarm.TaskStateShutdown
		if f.pauseWith != "" {
			f.addTask(s, f.pick(s), swarm.TaskStateFailed, f.pauseWith)
			s.UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStatePaused, Message: "update paused due to failure or early termination of task " + f.tasks[len(f.tasks)-1].ID}
			return
		}
		f.addTask(s, f.pick(s), swarm.TaskStateRunning, "")
		return
	}
	s.UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateCompleted}
}

func (f *fakeSwarm) hasOld(s *swarm.Service, force uint64) bool {
	for _, t := range f.tasks {
		if t.ServiceID == s.ID && isRunning(t) && t.Spec.ForceUpdate != force {
			return true
		}
	}
	return false
}

func (f *fakeSwarm) pick(s *swarm.Service) string {
	if f.place != nil {
		return f.place(f, s)
	}
	count := map[string]int{}
	var eligible []string
	for _, n := range f.nodes {
		if nodeEligible(n, s.Spec.TaskTemplate) {
			eligible = append(eligible, n.ID)
		}
	}
	for _, t := range f.tasks {
		if t.ServiceID == s.ID && t.DesiredState == swarm.TaskStateRunning {
			count[t.NodeID]++
		}
	}
	sort.SliceStable(eligible, func(i, j int) bool { return count[eligible[i]] < count[eligible[j]] })
	return eligible[0]
}

func (f *fakeSwarm) TaskList(_ context.Context, o swarm.TaskListOptions) ([]swarm.Task, error) {
	svcs, states := o.Filters.Get("service"), o.Filters.Get("desired-state")
	var out []swarm.Task
	for _, t := range f.tasks {
		if len(svcs) > 0 && !slices.Contains(svcs, t.ServiceID) {
			continue
		}
		if len(states) > 0 && !slices.Contains(states, string(t.DesiredState)) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

func (f *fakeSwarm) Info(context.Context) (system.Info, error) {
	return system.Info{Swarm: swarm.Info{NodeID: f.self, LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: true}}, nil
}

func (f *fakeSwarm) NodeInspectWithRaw(_ context.Context, id string) (swarm.Node, []byte, error) {
	for _, n := range f.nodes {
		if n.ID == id {
			n.ManagerStatus = &swarm.ManagerStatus{Leader: id == f.leader}
			return n, nil, nil
		}
	}
	return swarm.Node{}, nil, fmt.Errorf("no node %s", id)
}
