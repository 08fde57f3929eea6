package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"skep/internal/host"
)

// Fakes of the transport apply's steps drive: a host that records the
// commands it is given and answers them from a script, and a Docker engine
// that keeps a little swarm state. Steps then run in unit tests exactly as
// they run against real hosts.

// fakeNode is a host.Node. Its log holds, in order, every command run
// ("sudo CMD" or "exec CMD"), upload ("upload PATH MODE") and engine
// connection ("docker").
type fakeNode struct {
	name, address string
	// docker is what Docker returns; nil gives dockerErr (or a default).
	docker    client.APIClient
	dockerErr error
	// answer scripts Exec and Sudo; nil answers "" and no error. stdin and
	// stdout are what the caller passed with WithStdin and WithStdout.
	answer func(ctx context.Context, cmd string, stdin io.Reader, stdout io.Writer) (string, error)

	mu      sync.Mutex
	log     []string
	uploads map[string][]byte
}

var _ host.Node = (*fakeNode)(nil)

func (n *fakeNode) Name() string    { return n.name }
func (n *fakeNode) Address() string { return n.address }

func (n *fakeNode) record(entry string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.log = append(n.log, entry)
}

// entries is a copy of the log.
func (n *fakeNode) entries() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.log...)
}

func (n *fakeNode) run(ctx context.Context, kind, cmd string, opts []host.ExecOption) (string, error) {
	n.record(kind + " " + cmd)
	if n.answer == nil {
		return "", nil
	}
	stdin, stdout := host.ExecStreams(opts...)
	return n.answer(ctx, cmd, stdin, stdout)
}

func (n *fakeNode) Exec(ctx context.Context, cmd string, opts ...host.ExecOption) (string, error) {
	return n.run(ctx, "exec", cmd, opts)
}

func (n *fakeNode) Sudo(ctx context.Context, cmd string, opts ...host.ExecOption) (string, error) {
	return n.run(ctx, "sudo", cmd, opts)
}

func (n *fakeNode) Upload(_ context.Context, path string, data []byte, mode os.FileMode) error {
	n.record(fmt.Sprintf("upload %s %04o", path, mode.Perm()))
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.uploads == nil {
		n.uploads = map[string][]byte{}
	}
	n.uploads[path] = append([]byte(nil), data...)
	return nil
}

func (n *fakeNode) Docker(context.Context) (client.APIClient, error) {
	n.record("docker")
	if n.docker == nil {
		if n.dockerErr != nil {
			return nil, n.dockerErr
		}
		return nil, errors.New(n.name + ": no engine in this test")
	}
	return n.docker, nil
}

// infoReply is one scripted answer to Info.
type infoReply struct {
	swarm swarm.Info
	err   error
}

// fakeDocker is an engine with swarm state. Methods a test does not expect
// are not implemented: the nil embedded interface makes them panic, so a
// step that does more than the test says fails it.
type fakeDocker struct {
	client.APIClient

	mu sync.Mutex
	// script answers the first Info calls, one each; then Info reports sw.
	script []infoReply
	sw     swarm.Info
	// joinID is the node ID the engine gets when it joins.
	joinID string
	tokens swarm.JoinTokens
	// nodes is the swarm's node list, as a manager keeps it.
	nodes map[string]*swarm.Node
	// running is how many tasks run on a node; each look lowers it by one,
	// as a drain moves them away.
	running map[string]int
	// spec is the swarm's spec as a manager keeps it, at version specVer.
	spec    swarm.Spec
	specVer uint64

	calls  []string
	inits  []swarm.InitRequest
	joins  []swarm.JoinRequest
	infos  int
	leaves int
}

// inSwarm is the swarm part of Info for an active member.
func inSwarm(nodeID string, manager bool) swarm.Info {
	return swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, NodeID: nodeID, ControlAvailable: manager,
		Cluster: &swarm.ClusterInfo{ID: "c1"}}
}

func (d *fakeDocker) call(c string) {
	d.calls = append(d.calls, c)
}

// callLog is a copy of the API calls made, in order.
func (d *fakeDocker) callLog() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

func (d *fakeDocker) Info(context.Context) (system.Info, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.call("info")
	d.infos++
	if len(d.script) > 0 {
		r := d.script[0]
		d.script = d.script[1:]
		return system.Info{Swarm: r.swarm}, r.err
	}
	return system.Info{Swarm: d.sw}, nil
}

func (d *fakeDocker) SwarmInspect(context.Context) (swarm.Swarm, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.call("swarm inspect")
	sw := swarm.Swarm{JoinTokens: d.tokens}
	sw.Spec, sw.Version.Index = d.spec, d.specVer
	return sw, nil
}

// SwarmUpdate refuses a stale version, as the engine does, and keeps the
// spec sent whole: the engine takes an update as the complete spec.
func (d *fakeDocker) SwarmUpdate(_ context.Context, v swarm.Version, spec swarm.Spec, _ swarm.UpdateFlags) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.call(fmt.Sprintf("swarm update heartbeat=%s", spec.Dispatcher.HeartbeatPeriod))
	if v.Index != d.specVer {
		return fmt.Errorf("update out of sequence")
	}
	d.spec = spec
	d.specVer++
	return nil
}

func (d *fakeDocker) SwarmInit(_ context.Context, req swarm.InitRequest) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.call("swarm init " + req.AdvertiseAddr)
	d.inits = append(d.inits, req)
	d.sw = inSwarm(d.joinID, true)
	return "c1", nil
}

func (d *fakeDocker) SwarmJoin(_ context.Context, req swarm.JoinRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	// The token is not logged: the tests look for it in every log.
	d.call("swarm join " + strings.Join(req.RemoteAddrs, ","))
	d.joins = append(d.joins, req)
	d.sw = inSwarm(d.joinID, false)
	return nil
}

func (d *fakeDocker) SwarmLeave(_ context.Context, force bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.call(fmt.Sprintf("swarm leave force=%v", force))
	d.leaves++
	d.sw = swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}
	return nil
}

func (d *fakeDocker) NodeInspectWithRaw(_ context.Context, id string) (swarm.Node, []byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.nodes[id]
	if !ok {
		return swarm.Node{}, nil, errdefs.NotFound(fmt.Errorf("node %s not found", id))
	}
	return *n, nil, nil
}

// NodeUpdate refuses a stale version, as the engine does.
func (d *fakeDocker) NodeUpdate(_ context.Context, id string, v swarm.Version, spec swarm.NodeSpec) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.call(fmt.Sprintf("update %s availability=%s role=%s", id, spec.Availability, spec.Role))
	n, ok := d.nodes[id]
	switch {
	case !ok:
		return errdefs.NotFound(fmt.Errorf("node %s not found", id))
	case n.Version.Index != v.Index:
		return fmt.Errorf("update out of sequence")
	}
	n.Spec = spec
	n.Version.Index++
	return nil
}

func (d *fakeDocker) NodeRemove(_ context.Context, id string, opts swarm.NodeRemoveOptions) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.call(fmt.Sprintf("remove %s force=%v", id, opts.Force))
	delete(d.nodes, id)
	return nil
}

func (d *fakeDocker) TaskList(_ context.Context, opts swarm.TaskListOptions) ([]swarm.Task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := opts.Filters.Get("node")
	if len(ids) != 1 || fmt.Sprint(opts.Filters.Get("desired-state")) != "[running]" {
		return nil, fmt.Errorf("task list filters %v: want one node and desired-state running", opts.Filters)
	}
	id := ids[0]
	d.call("tasks " + id)
	tasks := make([]swarm.Task, d.running[id])
	if d.running[id] > 0 {
		d.running[id]--
	}
	return tasks, nil
}
