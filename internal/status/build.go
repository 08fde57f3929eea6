package status

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"

	dswarm "github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/placement"
	"skep/internal/storage"
	"skep/internal/swarm"
)

// Facts is everything Collect gathered about a cluster; Build turns it into
// a Report without contacting anything.
type Facts struct {
	Cluster string
	Hosts   []HostFacts // in cluster-file order
	// File is the cluster file; sections of later components read it.
	File *config.Cluster
	// Sections are the components to judge besides the swarm (those of
	// them the file declares), in the order they are shown.
	Sections []Section
}

// HostFacts is what one host answered.
type HostFacts struct {
	Name    string // from the cluster file
	Address string // from the cluster file
	Role    string // declared role; "" means manager

	// DialErr is set when the host could not be reached over SSH; nothing
	// below is known then.
	DialErr error
	// EngineErr is set when SSH worked but the Docker engine (ping or info)
	// did not answer in time. It names the host.
	EngineErr error
	// Swarm is the engine's own view of its swarm membership; nil if unknown.
	Swarm *swarm.State
	// Nodes is the swarm's node list as this host sees it (managers only);
	// nil if not asked or if the call failed (NodesErr).
	Nodes    []dswarm.Node
	NodesErr error
	// Ingress is what the host's Traefik answered (managers only).
	Ingress *HostIngress
	// Storage is the host's answer about the shared volume (storage.go);
	// nil with StorageErr set when it did not answer.
	Storage    *storage.HostFacts
	StorageErr error
	// VIP is a keepalived host's answer about the VIP (vip.go).
	VIP *HostVIP
	// Certificates is the controller's status as this manager read it.
	Certificates *HostCertificates
	// Stacks is the stacks' services as this manager listed them, when
	// the stacks section was asked for (stacks.go).
	Stacks *HostStacks
	// Probes is this manager's view of the node probes (probes.go); nil
	// for workers and when not asked.
	Probes *HostProbes
}

func (h HostFacts) reachable() bool { return h.DialErr == nil }

func (h HostFacts) declaredRole() string {
	if h.Role == "" {
		return config.RoleManager
	}
	return h.Role
}

// view is the node list Build reports from, and whose it is.
type view struct {
	nodes     []dswarm.Node
	clusterID string
}

// pickView chooses whose node list to believe. The list holding more of the
// cluster file's hosts (by the node IDs they report, or by address for hosts
// that could not tell) wins, so a host in a stray one-node swarm cannot
// speak for the cluster; among equals the leader's list wins, then the first
// in file order. nil if no manager answered.
func pickView(f Facts) *view {
	best, bestScore, bestLeader := -1, -1, false
	for i, h := range f.Hosts {
		if !h.reachable() || h.NodesErr != nil || len(h.Nodes) == 0 {
			continue
		}
		ids := map[string]bool{}
		leader := false
		for _, n := range h.Nodes {
			ids[n.ID] = true
			if h.Swarm != nil && n.ID == h.Swarm.NodeID && n.ManagerStatus != nil && n.ManagerStatus.Leader {
				leader = true
			}
		}
		score := 0
		for _, o := range f.Hosts {
			switch {
			case o.Swarm != nil:
				if ids[o.Swarm.NodeID] {
					score++
				}
			case slices.ContainsFunc(h.Nodes, func(n dswarm.Node) bool { return sameAddress(n, o.Address) }):
				score++
			}
		}
		if score > bestScore || (score == bestScore && leader && !bestLeader) {
			best, bestScore, bestLeader = i, score, leader
		}
	}
	if best < 0 {
		return nil
	}
	return newView(f, best)
}

func newView(f Facts, i int) *view {
	v := &view{nodes: f.Hosts[i].Nodes}
	if s := f.Hosts[i].Swarm; s != nil {
		v.clusterID = s.ClusterID
	}
	return v
}

// mapNodes finds each host's swarm node: by node ID when the host told us
// its own, else (host unreachable, ID unknown) by address among the nodes
// no host has claimed, the newest first (a node that left and rejoined
// leaves a stale entry at the same address). The result holds indexes into
// v.nodes, -1 for none.
func mapNodes(f Facts, v *view) []int {
	out := make([]int, len(f.Hosts))
	for i := range out {
		out[i] = -1
	}
	if v == nil {
		return out
	}
	used := make([]bool, len(v.nodes))
	for i, h := range f.Hosts {
		if h.Swarm == nil || h.Swarm.NodeID == "" {
			continue
		}
		for j, n := range v.nodes {
			if !used[j] && n.ID == h.Swarm.NodeID {
				out[i], used[j] = j, true
				break
			}
		}
	}
	for i, h := range f.Hosts {
		if h.Swarm != nil || out[i] >= 0 {
			continue // the host told us its swarm state: trust only its ID
		}
		best := -1
		for j, n := range v.nodes {
			if used[j] || !sameAddress(n, h.Address) {
				continue
			}
			if best < 0 || n.CreatedAt.After(v.nodes[best].CreatedAt) {
				best = j
			}
		}
		if best >= 0 {
			out[i], used[best] = best, true
		}
	}
	return out
}

// sameAddress tells whether a swarm node lives at addr, by the address the
// managers see it at or, for a manager, its Raft address.
func sameAddress(n dswarm.Node, addr string) bool {
	if addr == "" {
		return false
	}
	if n.Status.Addr == addr {
		return true
	}
	if n.ManagerStatus != nil && n.ManagerStatus.Addr != "" {
		h, _, err := net.SplitHostPort(n.ManagerStatus.Addr)
		if err == nil && h == addr {
			return true
		}
	}
	return false
}

// findings are what Build concluded besides the sections: problems (real
// faults, which make the cluster unhealthy) and what is not known (a host
// that did not answer a question in time, which does not).
type findings struct {
	problems []string
	unknown  []string
	// strays are the problems about things the cluster file does not
	// declare (swarm nodes outside it, app stacks); apply cannot fix them.
	strays []string
}

func (f *findings) problem(format string, args ...any) {
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
}

func (f *findings) notKnown(format string, args ...any) {
	f.unknown = append(f.unknown, fmt.Sprintf(format, args...))
}

// notAnswered tells whether err means a question got no answer in time
// (not known) rather than an answer that something failed.
func notAnswered(err error) bool {
	return storage.IsNoAnswer(err) || errors.Is(err, context.DeadlineExceeded)
}

// Build turns gathered facts into a Report. It is pure: every health rule
// lives here. Only real faults are problems; what a host did not answer
// in time is listed as not known and leaves the verdict alone.
func Build(f Facts) *Report {
	r := &Report{Cluster: f.Cluster, Problems: []string{}, Unknown: []string{}, Nodes: []Node{}}
	fd := &findings{}
	v := pickView(f)
	mapped := mapNodes(f, v)

	for i, h := range f.Hosts {
		var n *dswarm.Node
		if mapped[i] >= 0 {
			n = &v.nodes[mapped[i]]
		}
		r.Nodes = append(r.Nodes, buildNode(h, n, v, fd))
	}

	if v != nil {
		claimed := map[int]bool{}
		for _, j := range mapped {
			claimed[j] = true
		}
		var strays []string
		for j, n := range v.nodes {
			if claimed[j] {
				continue
			}
			name := n.Description.Hostname
			if name == "" {
				name = n.ID
			}
			addr := n.Status.Addr
			if addr == "" {
				addr = "unknown address"
			}
			strays = append(strays, fmt.Sprintf("%s: swarm node %s at %s (%s) is not in the cluster file",
				name, shortID(n.ID), addr, n.Status.State))
		}
		sort.Strings(strays)
		fd.problems = append(fd.problems, strays...)
		fd.strays = strays
	}

	judgeProbes(f, v, mapped, r, fd)
	r.Swarm = buildSwarm(f, v, mapped, fd)
	r.sections = declaredOnly(f.File, f.Sections)
	for _, s := range r.sections {
		s.build(f, fd, r)
	}
	r.Problems = append(r.Problems, fd.problems...)
	r.Unknown = append(r.Unknown, fd.unknown...)
	r.strays = fd.strays
	r.Healthy = len(r.Problems) == 0
	return r
}

// buildNode reports one host; n is its swarm node in the view, if found.
func buildNode(h HostFacts, n *dswarm.Node, v *view, fd *findings) Node {
	node, problems := nodeState(h, n, v, fd)
	fd.problems = append(fd.problems, problems...)
	return node
}

func nodeState(h HostFacts, n *dswarm.Node, v *view, fd *findings) (Node, []string) {
	node := Node{Name: h.Name, Address: h.Address, Role: h.declaredRole(), State: StateUnknown}
	if n != nil {
		node.Role = nodeRole(*n)
		node.Availability = string(n.Spec.Availability)
		node.Leader = n.ManagerStatus != nil && n.ManagerStatus.Leader
		node.LeaderLabel = n.Spec.Labels[placement.LeaderLabel] == "true"
	}
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, h.Name+": "+fmt.Sprintf(format, args...))
	}

	switch {
	case !h.reachable():
		node.State = StateDown
		add("not reachable over SSH (%s)", dialCause(h.Name, h.DialErr))
		return node, problems

	case h.Swarm != nil && h.Swarm.Local == dswarm.LocalNodeStateInactive:
		node.State = StateDown
		add("not in the swarm; run skep apply")
		return node, problems

	case h.Swarm != nil && v != nil && h.Swarm.ClusterID != "" && v.clusterID != "" && h.Swarm.ClusterID != v.clusterID:
		node.State = StateDown
		add("in another swarm (cluster %s) than the one its managers run; leave it and run skep apply", shortID(h.Swarm.ClusterID))
		return node, problems
	}

	switch {
	case h.EngineErr != nil && notAnswered(h.EngineErr):
		fd.notKnown("%s", hostMessage(h.Name, h.EngineErr))
	case h.EngineErr != nil:
		problems = append(problems, hostMessage(h.Name, h.EngineErr))
	}
	if h.Swarm != nil && h.Swarm.Local != dswarm.LocalNodeStateActive {
		msg := "swarm state " + string(h.Swarm.Local)
		if h.Swarm.Local == dswarm.LocalNodeStateLocked {
			msg += " (unlock it with docker swarm unlock)"
		} else if h.Swarm.Error != "" {
			msg += " (" + h.Swarm.Error + ")"
		}
		add("%s", msg)
	}

	if n == nil {
		if v != nil && h.Swarm != nil && h.Swarm.NodeID != "" {
			node.State = StateDown
			add("not in the swarm's node list (node %s); run skep apply", shortID(h.Swarm.NodeID))
		}
		// Otherwise no swarm information: state stays unknown; the swarm
		// section says why.
		return node, problems
	}

	switch n.Status.State {
	case dswarm.NodeStateReady:
		node.State = StateReady
	case dswarm.NodeStateDown, dswarm.NodeStateDisconnected:
		node.State = StateDown
		msg := "not ready: the swarm sees it " + string(n.Status.State)
		if n.Status.Message != "" {
			msg += " (" + n.Status.Message + ")"
		}
		add("%s", msg)
	default:
		add("not ready: the swarm's state for it is %s", orUnknown(string(n.Status.State)))
	}

	if node.Role == config.RoleManager && len(problems) == 0 {
		if n.ManagerStatus == nil || n.ManagerStatus.Reachability != dswarm.ReachabilityReachable {
			reach := "unknown"
			if n.ManagerStatus != nil {
				reach = orUnknown(string(n.ManagerStatus.Reachability))
			}
			add("manager not reachable by the other managers (reachability %s)", reach)
		}
	}
	if want := h.declaredRole(); node.Role != want {
		add("is a %s in the swarm but a %s in the cluster file; run skep apply", node.Role, want)
	}
	return node, problems
}

// buildSwarm computes the control plane's health. Without any manager's
// node list, quorum is not shown, and that is a problem: a swarm with a
// leader lists its nodes.
func buildSwarm(f Facts, v *view, mapped []int, fd *findings) *Swarm {
	sw := &Swarm{}
	var problems []string
	defer func() { fd.problems = append(fd.problems, problems...) }()
	if v == nil {
		for _, h := range f.Hosts {
			if h.declaredRole() == config.RoleManager {
				sw.Managers++
			}
			// Without a node list, count managers by their own word.
			if h.reachable() && h.Swarm != nil && h.Swarm.InSwarm() && h.Swarm.Manager {
				sw.ReachableManagers++
			}
		}
		for _, h := range f.Hosts {
			if h.reachable() && h.NodesErr != nil {
				problems = append(problems, fmt.Sprintf("swarm: no manager can list the nodes (%s)", hostMessage(h.Name, h.NodesErr)))
				break
			}
		}
		problems = append(problems, fmt.Sprintf("swarm: no quorum (%d of %d managers reachable)", sw.ReachableManagers, sw.Managers))
		return sw
	}

	hostOf := map[int]int{} // view node index -> host index
	for i, j := range mapped {
		if j >= 0 {
			hostOf[j] = i
		}
	}
	leader := false
	for j, n := range v.nodes {
		if nodeRole(n) != config.RoleManager {
			continue
		}
		sw.Managers++
		if n.ManagerStatus != nil && n.ManagerStatus.Leader {
			leader = true
		}
		if n.ManagerStatus == nil || n.ManagerStatus.Reachability != dswarm.ReachabilityReachable {
			continue
		}
		if i, ok := hostOf[j]; ok && !f.Hosts[i].reachable() {
			continue
		}
		sw.ReachableManagers++
	}
	sw.Quorum = leader && sw.ReachableManagers > sw.Managers/2
	if !leader {
		problems = append(problems, "swarm: no leader")
	}
	if !sw.Quorum {
		problems = append(problems, fmt.Sprintf("swarm: no quorum (%d of %d managers reachable)", sw.ReachableManagers, sw.Managers))
	}
	return sw
}

func nodeRole(n dswarm.Node) string {
	switch {
	case n.Spec.Role == dswarm.NodeRoleManager:
		return config.RoleManager
	case n.Spec.Role == dswarm.NodeRoleWorker:
		return config.RoleWorker
	case n.ManagerStatus != nil:
		return config.RoleManager
	}
	return config.RoleWorker
}

// dialCause is why a host could not be reached, without the "name (addr):"
// prefix the host package puts on its errors.
func dialCause(name string, err error) string {
	var de *host.DialError
	if errors.As(err, &de) && de.Err != nil {
		msg := de.Err.Error()
		if de.Hint != "" {
			msg += "; " + de.Hint
		}
		return msg
	}
	return trimHostPrefix(name, err.Error())
}

// trimHostPrefix removes a leading "name: " or "name (address): ".
func trimHostPrefix(name, msg string) string {
	if rest, ok := strings.CutPrefix(msg, name+": "); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(msg, name+" ("); ok {
		if i := strings.Index(rest, "): "); i >= 0 {
			return rest[i+3:]
		}
	}
	return msg
}

// hostMessage renders err as a problem about host name, starting with it.
func hostMessage(name string, err error) string {
	return name + ": " + trimHostPrefix(name, err.Error())
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
