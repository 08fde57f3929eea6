package rebalance

import (
	"net"
	"strings"

	"github.com/docker/docker/api/types/swarm"
)

// Which nodes a service may run on is decided here by hand, after swarm's
// own rules (its constraint package, read for this): a node must be ready,
// active, and match every placement constraint and one of the service's
// platforms.
//
// Why not the code that already reads constraints: internal/stack's
// eligible() reads only node.role, on purpose, because asking more nodes
// for an image than needed is harmless. Here counting a node the service
// cannot use would be harmful: it would look empty, the service would look
// unbalanced for ever, and every rebalance would move its tasks for
// nothing. swarmkit's own package works on its protobuf types, not the
// engine API's, and would bring swarmkit into the module for forty lines.

// nodeEligible says whether n can take a new task of spec now.
func nodeEligible(n swarm.Node, spec swarm.TaskSpec) bool {
	if n.Status.State != swarm.NodeStateReady || n.Spec.Availability != swarm.NodeAvailabilityActive {
		return false
	}
	p := spec.Placement
	if p == nil {
		return true
	}
	for _, c := range p.Constraints {
		if !constraintMatches(c, n) {
			return false
		}
	}
	return platformMatches(p.Platforms, n)
}

// constraintMatches evaluates one constraint "KEY==VALUE" or "KEY!=VALUE"
// on n as swarm does: keys are case-insensitive but label names are not,
// values compare case-insensitively, a missing label or hostname reads as
// "" (so != matches it), and an unknown key or a malformed constraint
// matches no node (swarm refuses to place the task anywhere).
func constraintMatches(c string, n swarm.Node) bool {
	key, value, eq, ok := parseConstraint(c)
	if !ok {
		return false
	}
	is := func(have string) bool { return strings.EqualFold(value, have) == eq }
	lower := strings.ToLower(key)
	switch {
	case lower == "node.id":
		return is(n.ID)
	case lower == "node.hostname":
		return is(n.Description.Hostname)
	case lower == "node.role":
		return is(string(n.Spec.Role))
	case lower == "node.platform.os":
		return is(n.Description.Platform.OS)
	case lower == "node.platform.arch":
		return is(n.Description.Platform.Architecture)
	case lower == "node.ip":
		return ipMatches(value, eq, n.Status.Addr)
	case strings.HasPrefix(lower, "node.labels.") && len(key) > len("node.labels."):
		return is(n.Spec.Labels[key[len("node.labels."):]])
	case strings.HasPrefix(lower, "engine.labels.") && len(key) > len("engine.labels."):
		return is(n.Description.Engine.Labels[key[len("engine.labels."):]])
	}
	return false
}

// parseConstraint splits "KEY OP VALUE". Swarm looks for == before !=.
func parseConstraint(c string) (key, value string, eq, ok bool) {
	for _, op := range []string{"==", "!="} {
		if k, v, found := strings.Cut(c, op); found {
			key, value = strings.TrimSpace(k), strings.TrimSpace(v)
			return key, value, op == "==", key != "" && value != ""
		}
	}
	return "", "", false, false
}

// ipMatches is node.ip: one address or a CIDR subnet.
func ipMatches(value string, eq bool, addr string) bool {
	nodeIP := net.ParseIP(addr)
	if ip := net.ParseIP(value); ip != nil {
		return ip.Equal(nodeIP) == eq
	}
	if _, subnet, err := net.ParseCIDR(value); err == nil {
		return (nodeIP != nil && subnet.Contains(nodeIP)) == eq
	}
	return false
}

// platformMatches says whether n is one of the platforms the service
// lists (any, when it lists none), as swarm's platform filter does: an
// empty field matches everything, and only x86_64 and aarch64 are
// renamed (to amd64 and arm64) before comparing.
func platformMatches(platforms []swarm.Platform, n swarm.Node) bool {
	if len(platforms) == 0 {
		return true
	}
	os, arch := n.Description.Platform.OS, goArch(n.Description.Platform.Architecture)
	for _, p := range platforms {
		if (p.OS == "" || p.OS == os) && (p.Architecture == "" || goArch(p.Architecture) == arch) {
			return true
		}
	}
	return false
}

// goArch renames the kernel's names of two architectures to Go's, as
// swarm does.
func goArch(a string) string {
	switch a {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	}
	return a
}
