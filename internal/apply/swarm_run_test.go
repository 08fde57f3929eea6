package apply

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
	"skep/internal/host"
	skswarm "skep/internal/swarm"
)

// wetEnv is a wet run over fake nodes (one per host of c, docker from
// engines), with its progress log captured.
func wetEnv(c *config.Cluster, cf *ClusterFacts, engines map[string]*fakeDocker) (*env, map[string]*fakeNode, *strings.Builder) {
	log := &strings.Builder{}
	e := &env{cluster: c, facts: cf, result: &Result{}, hosts: map[string]host.Node{},
		opts: Options{Wet: true, Logf: func(h, f string, a ...any) { fmt.Fprintf(log, h+": "+f+"\n", a...) }}}
	e.gate = &gate{wet: true, logf: e.logf, result: e.result}
	fakes := map[string]*fakeNode{}
	for _, h := range c.Hosts {
		n := &fakeNode{name: h.Name, address: h.Address}
		if d, ok := engines[h.Name]; ok {
			n.docker = d
		}
		fakes[h.Name] = n
		e.hosts[h.Name] = n
	}
	return e, fakes, log
}

func readyNode(id string, role swarm.NodeRole) *swarm.Node {
	n := &swarm.Node{ID: id, Spec: swarm.NodeSpec{Role: role, Availability: swarm.NodeAvailabilityActive},
		Status: swarm.NodeStatus{State: swarm.NodeStateReady}}
	if role == swarm.NodeRoleManager {
		n.ManagerStatus = &swarm.ManagerStatus{Reachability: swarm.ReachabilityReachable}
	}
	return n
}

const (
	managerToken = "SWMTKN-1-manager-secret-0123456789"
	workerToken  = "SWMTKN-1-worker-secret-9876543210"
)

// joinSetup is node1 managing a swarm, node2 (manager) and node3 (worker)
// out of it.
func joinSetup() (*config.Cluster, *ClusterFacts, map[string]*fakeDocker) {
	c := testCluster("manager", "manager", "worker")
	cf := converged(c)
	cf.Hosts["node2"], cf.Hosts["node3"] = freshFacts(), freshFacts()
	cf.Nodes = cf.Nodes[:1]
	engines := map[string]*fakeDocker{
		"node1": {sw: inSwarm("id-node1", true), tokens: swarm.JoinTokens{Manager: managerToken, Worker: workerToken},
			nodes: map[string]*swarm.Node{"id-node2": readyNode("id-node2", swarm.NodeRoleManager), "id-node3": readyNode("id-node3", swarm.NodeRoleWorker)}},
		"node2": {sw: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}, joinID: "id-node2"},
		"node3": {sw: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}, joinID: "id-node3"},
	}
	return c, cf, engines
}

// Joining hosts get the anchor's address and the token for their role,
// read from the anchor over the API: it never reaches a command line, an
// API call log or the progress log.
func TestJoinStepsUseAnchorAndItsTokens(t *testing.T) {
	c, cf, engines := joinSetup()
	e, fakes, log := wetEnv(c, cf, engines)
	steps, err := planSwarm(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(steps); got != "node2: join the swarm as manager\nnode3: join the swarm as worker" {
		t.Fatalf("plan:\n%s", got)
	}
	if err := e.gate.run(context.Background(), "swarm", steps); err != nil {
		t.Fatal(err)
	}

	want := map[string]swarm.JoinRequest{
		"node2": {ListenAddr: "0.0.0.0:2377", AdvertiseAddr: "127.0.0.12:2377", RemoteAddrs: []string{"127.0.0.11:2377"}, JoinToken: managerToken},
		"node3": {ListenAddr: "0.0.0.0:2377", AdvertiseAddr: "127.0.0.13:2377", RemoteAddrs: []string{"127.0.0.11:2377"}, JoinToken: workerToken},
	}
	for name, w := range want {
		d := engines[name]
		if len(d.joins) != 1 || !reflect.DeepEqual(d.joins[0], w) {
			t.Errorf("%s joined with %+v, want %+v", name, d.joins, w)
		}
		if d.leaves != 0 {
			t.Errorf("%s left a swarm it was never in", name)
		}
	}
	if got := engines["node1"].callLog(); !slices.Contains(got, "swarm inspect") {
		t.Errorf("the tokens were not read from the anchor: %v", got)
	}

	var seen []string
	for _, n := range fakes {
		for _, entry := range n.entries() {
			if entry != "docker" {
				t.Errorf("%s ran %q: joining takes no command", n.name, entry)
			}
		}
	}
	for _, d := range engines {
		seen = append(seen, d.callLog()...)
	}
	seen = append(seen, log.String())
	for _, s := range seen {
		if strings.Contains(s, "SWMTKN") {
			t.Fatalf("a join token is in a log: %q", s)
		}
	}
	if !strings.Contains(log.String(), "node2: joined; waiting until the swarm reports it ready") {
		t.Errorf("progress log:\n%s", log)
	}
}

// A host whose earlier join was cut short (pending) leaves that state
// first, then joins.
func TestJoinAfterUnfinishedJoinLeavesFirst(t *testing.T) {
	c, cf, engines := joinSetup()
	cf.Hosts["node2"].Swarm = skswarm.State{Local: swarm.LocalNodeStatePending}
	engines["node2"].sw = swarm.Info{LocalNodeState: swarm.LocalNodeStatePending}
	c.Hosts = c.Hosts[:2]
	delete(cf.Hosts, "node3")
	e, _, _ := wetEnv(c, cf, engines)
	steps, err := planSwarm(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || !strings.Contains(steps[0].Reason, `swarm state "pending"`) {
		t.Fatalf("plan: %+v", steps)
	}
	if err := e.gate.run(context.Background(), "swarm", steps); err != nil {
		t.Fatal(err)
	}
	want := []string{"info", "swarm leave force=true", "swarm join 127.0.0.11:2377", "info"}
	if got := engines["node2"].callLog(); !reflect.DeepEqual(got, want) {
		t.Fatalf("node2's engine was asked %q, want %q", got, want)
	}
}

// goneSetup is a converged three-manager cluster whose swarm also lists a
// node no host of the file is.
func goneSetup(state swarm.NodeState, role swarm.NodeRole) (*config.Cluster, *ClusterFacts, map[string]*fakeDocker) {
	c := testCluster("manager", "manager", "manager")
	cf := converged(c)
	gone := readyNode("id-gone", role)
	gone.Status = swarm.NodeStatus{State: state, Addr: "127.0.0.14"}
	gone.Description.Hostname = "node4"
	gone.Version.Index = 5
	cf.Nodes = append(cf.Nodes, *gone)
	engines := map[string]*fakeDocker{"node1": {sw: inSwarm("id-node1", true),
		nodes: map[string]*swarm.Node{"id-gone": gone}, running: map[string]int{"id-gone": 1}}}
	return c, cf, engines
}

// A live node dropped from the file is drained (its tasks gone elsewhere)
// before it is demoted and removed.
func TestRemovedHostDrainedThenRemoved(t *testing.T) {
	c, cf, engines := goneSetup(swarm.NodeStateReady, swarm.NodeRoleManager)
	e, _, _ := wetEnv(c, cf, engines)
	steps, err := planSwarm(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(steps); got != "node1: remove node node4 (127.0.0.14, id-gone) from the swarm" {
		t.Fatalf("plan:\n%s", got)
	}
	if err := e.gate.run(context.Background(), "swarm", steps); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"update id-gone availability=drain role=manager",
		"tasks id-gone", "tasks id-gone", // one task still ran at the first look
		"update id-gone availability=drain role=worker",
		"remove id-gone force=true",
	}
	if got := withoutInfo(engines["node1"].callLog()); !reflect.DeepEqual(got, want) {
		t.Fatalf("manager was asked\n%q\nwant\n%q", got, want)
	}
}

// A node that is down has no tasks to move: it is removed at once.
func TestDownWorkerRemovedWithoutDrain(t *testing.T) {
	c, cf, engines := goneSetup(swarm.NodeStateDown, swarm.NodeRoleWorker)
	e, _, _ := wetEnv(c, cf, engines)
	steps, err := planSwarm(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.gate.run(context.Background(), "swarm", steps); err != nil {
		t.Fatal(err)
	}
	if got := withoutInfo(engines["node1"].callLog()); !reflect.DeepEqual(got, []string{"remove id-gone force=true"}) {
		t.Fatalf("manager was asked %q", got)
	}
}

func withoutInfo(calls []string) []string {
	var out []string
	for _, c := range calls {
		if c != "info" {
			out = append(out, c)
		}
	}
	return out
}
