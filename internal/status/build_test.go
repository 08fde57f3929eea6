package status

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	dswarm "github.com/docker/docker/api/types/swarm"

	"skep/internal/host"
	"skep/internal/storage"
	"skep/internal/swarm"
)

// Fixture: a lab-like cluster of three managers at 127.0.0.11..13 (node IDs
// id1..id3) and, where a test adds it, a worker node4 at 127.0.0.14.

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func addr(i int) string { return "127.0.0." + string(rune('0'+1)) + string(rune('0'+i)) }

func name(i int) string { return "node" + string(rune('0'+i)) }

func id(i int) string { return "id" + string(rune('0'+i)) }

// mgr is a manager node as the swarm lists it.
func mgr(i int, state dswarm.NodeState, reach dswarm.Reachability, leader bool) dswarm.Node {
	n := wkr(i, state)
	n.Spec.Role = dswarm.NodeRoleManager
	n.ManagerStatus = &dswarm.ManagerStatus{Leader: leader, Reachability: reach, Addr: addr(i) + ":2377"}
	return n
}

// wkr is a worker node as the swarm lists it.
func wkr(i int, state dswarm.NodeState) dswarm.Node {
	n := dswarm.Node{ID: id(i)}
	n.CreatedAt = t0
	n.Spec.Role = dswarm.NodeRoleWorker
	n.Spec.Availability = dswarm.NodeAvailabilityActive
	n.Description.Hostname = "lab-" + name(i)
	n.Status = dswarm.NodeStatus{State: state, Addr: addr(i)}
	return n
}

// up is a host reachable over SSH, in the swarm, seeing nodes (managers).
func up(i int, manager bool, nodes ...dswarm.Node) HostFacts {
	role := "manager"
	if !manager {
		role = "worker"
	}
	return HostFacts{
		Name: name(i), Address: addr(i), Role: role,
		Swarm: &swarm.State{Local: dswarm.LocalNodeStateActive, NodeID: id(i), ClusterID: "cluster1", Manager: manager},
		Nodes: nodes,
	}
}

// dead is a host not reachable over SSH.
func dead(i int, role string) HostFacts {
	return HostFacts{
		Name: name(i), Address: addr(i), Role: role,
		DialErr: &host.DialError{Host: name(i), Address: addr(i) + ":22", Err: errors.New("dial tcp " + addr(i) + ":22: i/o timeout")},
	}
}

func healthyList() []dswarm.Node {
	return []dswarm.Node{
		mgr(1, dswarm.NodeStateReady, dswarm.ReachabilityReachable, true),
		mgr(2, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false),
		mgr(3, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false),
	}
}

func facts(hosts ...HostFacts) Facts {
	return Facts{Cluster: "skep", Hosts: hosts, Sections: allSections}
}

// allSections are every section status has; Build keeps those the test's
// cluster file declares, as it does for apply's list.
var allSections = []Section{StorageSection, VIPSection, IngressSection, CertificatesSection, StacksSection}

func nodeByName(t *testing.T, r *Report, n string) Node {
	t.Helper()
	for _, x := range r.Nodes {
		if x.Name == n {
			return x
		}
	}
	t.Fatalf("no node %s in %+v", n, r.Nodes)
	return Node{}
}

func wantProblems(t *testing.T, r *Report, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(r.Problems, want) {
		t.Errorf("problems:\n got  %q\n want %q", r.Problems, want)
	}
	if r.Healthy != (len(want) == 0) {
		t.Errorf("healthy = %v with problems %q", r.Healthy, r.Problems)
	}
}

func wantUnknown(t *testing.T, r *Report, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(r.Unknown, want) {
		t.Errorf("unknown:\n got  %q\n want %q", r.Unknown, want)
	}
}

func wantSwarm(t *testing.T, r *Report, want Swarm) {
	t.Helper()
	if r.Swarm == nil {
		t.Fatalf("no swarm section")
	}
	if *r.Swarm != want {
		t.Errorf("swarm = %+v, want %+v", *r.Swarm, want)
	}
}

func TestBuildAllHealthy(t *testing.T) {
	r := Build(facts(up(1, true, healthyList()...), up(2, true, healthyList()...), up(3, true, healthyList()...)))
	wantProblems(t, r)
	if r.Problems == nil {
		t.Error("problems is nil, want an empty slice")
	}
	want := []Node{
		{Name: "node1", Address: "127.0.0.11", Role: "manager", State: "ready", Availability: "active", Leader: true},
		{Name: "node2", Address: "127.0.0.12", Role: "manager", State: "ready", Availability: "active"},
		{Name: "node3", Address: "127.0.0.13", Role: "manager", State: "ready", Availability: "active"},
	}
	if !reflect.DeepEqual(r.Nodes, want) {
		t.Errorf("nodes:\n got  %+v\n want %+v", r.Nodes, want)
	}
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 3, Quorum: true})
	if r.Cluster != "skep" {
		t.Errorf("cluster = %q", r.Cluster)
	}
}

func TestBuildWorkerAndDrain(t *testing.T) {
	list := append(healthyList(), wkr(4, dswarm.NodeStateReady))
	list[3].Spec.Availability = dswarm.NodeAvailabilityDrain
	r := Build(facts(up(1, true, list...), up(2, true, list...), up(3, true, list...), up(4, false)))
	wantProblems(t, r)
	n4 := nodeByName(t, r, "node4")
	if n4.Role != "worker" || n4.State != "ready" || n4.Availability != "drain" || n4.Leader {
		t.Errorf("node4 = %+v", n4)
	}
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 3, Quorum: true})
}

func TestBuildOneHostUnreachable(t *testing.T) {
	list := []dswarm.Node{
		mgr(1, dswarm.NodeStateReady, dswarm.ReachabilityReachable, true),
		mgr(2, dswarm.NodeStateDown, dswarm.ReachabilityUnreachable, false),
		mgr(3, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false),
	}
	r := Build(facts(up(1, true, list...), dead(2, "manager"), up(3, true, list...)))
	wantProblems(t, r, "node2: not reachable over SSH (dial tcp 127.0.0.12:22: i/o timeout)")
	n2 := nodeByName(t, r, "node2")
	want := Node{Name: "node2", Address: "127.0.0.12", Role: "manager", State: "down", Availability: "active"}
	if n2 != want {
		t.Errorf("node2 = %+v, want %+v", n2, want)
	}
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 2, Quorum: true})
}

// A host whose SSH is dead but which Raft still sees as reachable (e.g.
// sshd stopped) does not count as a reachable manager.
func TestBuildSSHDeadButRaftReachable(t *testing.T) {
	r := Build(facts(up(1, true, healthyList()...), dead(2, "manager"), up(3, true, healthyList()...)))
	if n2 := nodeByName(t, r, "node2"); n2.State != "down" {
		t.Errorf("node2 state = %q, want down", n2.State)
	}
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 2, Quorum: true})
	wantProblems(t, r, "node2: not reachable over SSH (dial tcp 127.0.0.12:22: i/o timeout)")
}

func TestBuildLeaderUnreachableNewLeader(t *testing.T) {
	fresh := []dswarm.Node{
		mgr(1, dswarm.NodeStateDown, dswarm.ReachabilityUnreachable, false),
		mgr(2, dswarm.NodeStateReady, dswarm.ReachabilityReachable, true),
		mgr(3, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false),
	}
	// node3 still has the old picture: the leader's view must win.
	stale := healthyList()
	r := Build(facts(dead(1, "manager"), up(2, true, fresh...), up(3, true, stale...)))
	wantProblems(t, r, "node1: not reachable over SSH (dial tcp 127.0.0.11:22: i/o timeout)")
	n1, n2 := nodeByName(t, r, "node1"), nodeByName(t, r, "node2")
	if n1.State != "down" || n1.Leader {
		t.Errorf("node1 = %+v, want down, not leader", n1)
	}
	if n2.State != "ready" || !n2.Leader {
		t.Errorf("node2 = %+v, want ready leader", n2)
	}
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 2, Quorum: true})
}

func TestBuildNoQuorumNodeListFails(t *testing.T) {
	n1 := up(1, true)
	n1.NodesErr = errors.New("node list: Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader")
	r := Build(facts(n1, dead(2, "manager"), dead(3, "manager")))
	wantProblems(t, r,
		"node2: not reachable over SSH (dial tcp 127.0.0.12:22: i/o timeout)",
		"node3: not reachable over SSH (dial tcp 127.0.0.13:22: i/o timeout)",
		"swarm: no manager can list the nodes (node1: node list: Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader)",
		"swarm: no quorum (1 of 3 managers reachable)",
	)
	if got := nodeByName(t, r, "node1"); got.State != "unknown" || got.Role != "manager" || got.Availability != "" {
		t.Errorf("node1 = %+v, want unknown manager", got)
	}
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 1, Quorum: false})
}

func TestBuildNoQuorumListAnswersWithoutLeader(t *testing.T) {
	list := []dswarm.Node{
		mgr(1, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false),
		mgr(2, dswarm.NodeStateDown, dswarm.ReachabilityUnreachable, false),
		mgr(3, dswarm.NodeStateDown, dswarm.ReachabilityUnreachable, false),
	}
	h2, h3 := up(2, true), up(3, true)
	h2.Swarm, h3.Swarm = nil, nil
	h2.EngineErr = errors.New("node2: Docker engine not reachable over SSH: context deadline exceeded")
	h3.EngineErr = errors.New("docker info: context deadline exceeded")
	r := Build(facts(up(1, true, list...), h2, h3))
	wantProblems(t, r,
		"node2: Docker engine not reachable over SSH: context deadline exceeded",
		"node2: not ready: the swarm sees it down",
		"node3: docker info: context deadline exceeded",
		"node3: not ready: the swarm sees it down",
		"swarm: no leader",
		"swarm: no quorum (1 of 3 managers reachable)",
	)
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 1, Quorum: false})
}

func TestBuildHostNotInSwarm(t *testing.T) {
	list := healthyList()[:2]
	h3 := up(3, true)
	h3.Swarm = &swarm.State{Local: dswarm.LocalNodeStateInactive}
	r := Build(facts(up(1, true, list...), up(2, true, list...), h3))
	wantProblems(t, r, "node3: not in the swarm; run skep apply")
	want := Node{Name: "node3", Address: "127.0.0.13", Role: "manager", State: "down"}
	if got := nodeByName(t, r, "node3"); got != want {
		t.Errorf("node3 = %+v, want %+v", got, want)
	}
	wantSwarm(t, r, Swarm{Managers: 2, ReachableManagers: 2, Quorum: true})
}

func TestBuildNoHostReachable(t *testing.T) {
	r := Build(facts(dead(1, "manager"), dead(2, "manager"), dead(3, "manager"), dead(4, "worker")))
	if r.Healthy {
		t.Error("healthy with no host reachable")
	}
	for _, n := range r.Nodes {
		if n.State != "down" {
			t.Errorf("%s state = %q, want down", n.Name, n.State)
		}
		if !slices.Contains(r.Problems, n.Name+": not reachable over SSH (dial tcp "+n.Address+":22: i/o timeout)") {
			t.Errorf("no SSH problem for %s in %q", n.Name, r.Problems)
		}
	}
	if got := nodeByName(t, r, "node4"); got.Role != "worker" {
		t.Errorf("node4 role = %q, want the declared worker", got.Role)
	}
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 0, Quorum: false})
	if last := r.Problems[len(r.Problems)-1]; last != "swarm: no quorum (0 of 3 managers reachable)" {
		t.Errorf("last problem = %q", last)
	}
}

func TestBuildStrayNode(t *testing.T) {
	list := append(healthyList(), wkr(5, dswarm.NodeStateReady))
	r := Build(facts(up(1, true, list...), up(2, true, list...), up(3, true, list...)))
	wantProblems(t, r, "lab-node5: swarm node id5 at 127.0.0.15 (ready) is not in the cluster file")
}

func TestBuildStaleEntryAtSameAddress(t *testing.T) {
	// node2 left and rejoined; the old entry lingers, down. node2 is now
	// unreachable, so it is matched by address: the newest entry wins.
	old := mgr(2, dswarm.NodeStateDown, dswarm.ReachabilityUnreachable, false)
	old.ID = "old2"
	cur := mgr(2, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false)
	cur.CreatedAt = t0.Add(time.Hour)
	list := []dswarm.Node{mgr(1, dswarm.NodeStateReady, dswarm.ReachabilityReachable, true), old, cur,
		mgr(3, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false)}
	r := Build(facts(up(1, true, list...), dead(2, "manager"), up(3, true, list...)))
	if got := nodeByName(t, r, "node2"); got.State != "down" {
		t.Errorf("node2 = %+v", got)
	}
	if !slices.ContainsFunc(r.Problems, func(p string) bool { return strings.Contains(p, "swarm node old2 ") }) {
		t.Errorf("stale entry not reported: %q", r.Problems)
	}
}

func TestBuildManagerUnreachableInRaft(t *testing.T) {
	list := healthyList()
	list[2].ManagerStatus.Reachability = dswarm.ReachabilityUnreachable
	r := Build(facts(up(1, true, list...), up(2, true, list...), up(3, true, list...)))
	wantProblems(t, r, "node3: manager not reachable by the other managers (reachability unreachable)")
	wantSwarm(t, r, Swarm{Managers: 3, ReachableManagers: 2, Quorum: true})
}

func TestBuildRoleMismatch(t *testing.T) {
	list := append(healthyList(), wkr(4, dswarm.NodeStateReady))
	h4 := up(4, false)
	h4.Role = "manager"
	r := Build(facts(up(1, true, list...), up(2, true, list...), up(3, true, list...), h4))
	wantProblems(t, r, "node4: is a worker in the swarm but a manager in the cluster file; run skep apply")
}

func TestBuildStraySwarmDoesNotSpeakForCluster(t *testing.T) {
	// node1 is a follower of the real swarm; node3 leads a one-node swarm
	// of its own. node1's list names more of the cluster's hosts and wins.
	list := []dswarm.Node{
		mgr(1, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false),
		mgr(2, dswarm.NodeStateReady, dswarm.ReachabilityReachable, true),
	}
	own := mgr(3, dswarm.NodeStateReady, dswarm.ReachabilityReachable, true)
	h3 := up(3, true, own)
	h3.Swarm.ClusterID = "cluster2"
	h2 := dead(2, "manager")
	r := Build(facts(up(1, true, list...), h2, h3))
	if got := nodeByName(t, r, "node3"); got.State != "down" {
		t.Errorf("node3 = %+v, want down", got)
	}
	if !slices.ContainsFunc(r.Problems, func(p string) bool { return strings.HasPrefix(p, "node3: in another swarm") }) {
		t.Errorf("problems %q lack node3's other swarm", r.Problems)
	}
	wantSwarm(t, r, Swarm{Managers: 2, ReachableManagers: 1, Quorum: false})
}

func TestDialCause(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&host.DialError{Host: "node2", Address: "127.0.0.12:22", Err: errors.New("SSH handshake: i/o timeout"), Hint: "frozen?"},
			"SSH handshake: i/o timeout; frozen?"},
		{&host.AuthError{Host: "node2", Address: "127.0.0.12:22", User: "root", Err: errors.New("unable to authenticate")},
			`SSH authentication as "root" failed: unable to authenticate`},
		{errors.New("node2: no address to connect to"), "no address to connect to"},
		{errors.New("no answer within 8s"), "no answer within 8s"},
	} {
		if got := dialCause("node2", tc.err); got != tc.want {
			t.Errorf("dialCause(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// An engine that did not answer in time is not known (the swarm's view
// still tells the node's state); one that refuses is a problem.
func TestBuildEngineSilentVersusFailing(t *testing.T) {
	h2 := up(2, true, healthyList()...)
	h2.Swarm, h2.Nodes = nil, nil
	h2.EngineErr = fmt.Errorf("node2: Docker engine: %w", &storage.NoAnswer{After: "3s"})
	r := Build(facts(up(1, true, healthyList()...), h2, up(3, true, healthyList()...)))
	wantProblems(t, r)
	wantUnknown(t, r, "node2: Docker engine: no answer in 3s")
	if n := nodeByName(t, r, "node2"); n.State != StateReady {
		t.Errorf("node2 state %q, want ready by the swarm's view", n.State)
	}

	h2.EngineErr = errors.New("node2: Docker engine not reachable over SSH: connection refused")
	r = Build(facts(up(1, true, healthyList()...), h2, up(3, true, healthyList()...)))
	wantProblems(t, r, "node2: Docker engine not reachable over SSH: connection refused")
}

// The node carrying the leader label is reported, whether or not it is
// the leader (right after an election the label is still on the old one).
func TestBuildLeaderLabel(t *testing.T) {
	list := healthyList()
	list[1].Spec.Labels = map[string]string{"skep.leader": "true"}
	list[2].Spec.Labels = map[string]string{"skep.leader": "false", "zone": "a"}
	r := Build(facts(up(1, true, list...), up(2, true, list...), up(3, true, list...)))
	for name, want := range map[string]bool{"node1": false, "node2": true, "node3": false} {
		if n := nodeByName(t, r, name); n.LeaderLabel != want {
			t.Errorf("%s: leader label %v, want %v", name, n.LeaderLabel, want)
		}
	}
	wantProblems(t, r)
}
