package rebalance

import (
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

// The cases follow swarm's own constraint rules (its constraint package):
// value case ignored, label name case kept, a missing label reads "",
// anything it does not know places nowhere.
func TestConstraintMatches(t *testing.T) {
	n := mkNode("node2", worker, labels("zone", "a", "Disk", "ssd"))
	n.Status.Addr = "10.0.0.12"
	n.Description.Engine.Labels = map[string]string{"gpu": "yes"}
	for c, want := range map[string]bool{
		"node.role==worker":             true,
		"node.role == manager":          false,
		"node.role!=manager":            true,
		"NODE.ROLE==WORKER":             true, // keys ignore case
		"  node.role==worker  ":         true,
		"node.hostname==node2":          true,
		"node.hostname==NODE2":          true, // values ignore case
		"node.hostname!=node2":          false,
		"node.id==id-node2":             true,
		"node.id!=id-node1":             true,
		"node.labels.zone==a":           true,
		"node.labels.zone==A":           true,
		"node.labels.zone != b":         true,
		"node.labels.zone!=a":           false,
		"node.labels.Disk==ssd":         true,
		"node.labels.disk==ssd":         false, // label names keep case
		"node.labels.disk!=ssd":         true,
		"node.labels.rack==r1":          false,
		"node.labels.rack!=r1":          true, // a missing label reads ""
		"node.labels.skep.leader!=true": true,
		"engine.labels.gpu==yes":        true,
		"engine.labels.GPU==yes":        false,
		"node.platform.os==linux":       true,
		"node.platform.arch==x86_64":    true,
		"node.platform.arch==amd64":     false, // constraints compare as written
		"node.ip==10.0.0.12":            true,
		"node.ip!=10.0.0.12":            false,
		"node.ip==10.0.0.0/24":          true,
		"node.ip==10.0.1.0/24":          false,
		"node.ip!=10.0.1.0/24":          true,
		"node.ip==not-an-address":       false,
		"node.colour==blue":             false, // unknown key: nowhere
		"node.role":                     false, // no operator
		"==worker":                      false,
		"node.labels.==a":               false,
		"node.labels.zone==":            false,
		"node.labels.zone==a==b":        false, // split at the first ==, value "a==b"
	} {
		if got := constraintMatches(c, n); got != want {
			t.Errorf("%q on node2: %v, want %v", c, got, want)
		}
	}
}

func TestNodeEligible(t *testing.T) {
	spec := func(p *swarm.Placement) swarm.TaskSpec { return swarm.TaskSpec{Placement: p} }
	ready := mkNode("node1")
	for _, tc := range []struct {
		name string
		n    swarm.Node
		spec swarm.TaskSpec
		want bool
	}{
		{"ready and active, no placement", ready, spec(nil), true},
		{"drained", mkNode("node1", drained), spec(nil), false},
		{"paused", mkNode("node1", paused), spec(nil), false},
		{"down", mkNode("node1", down), spec(nil), false},
		{"every constraint must hold", ready, spec(&swarm.Placement{Constraints: []string{"node.role==manager", "node.hostname!=node1"}}), false},
		{"all constraints hold", ready, spec(&swarm.Placement{Constraints: []string{"node.role==manager", "node.hostname!=node2"}}), true},
		{"platform matches, architecture renamed", ready, spec(&swarm.Placement{Platforms: []swarm.Platform{{OS: "linux", Architecture: "amd64"}}}), true},
		{"platform of another architecture", ready, spec(&swarm.Placement{Platforms: []swarm.Platform{{OS: "linux", Architecture: "arm64"}}}), false},
		{"one platform of several", ready, spec(&swarm.Placement{Platforms: []swarm.Platform{{Architecture: "arm64"}, {OS: "linux"}}}), true},
	} {
		if got := nodeEligible(tc.n, tc.spec); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
