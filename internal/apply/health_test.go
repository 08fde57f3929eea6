package apply

import (
	"slices"
	"strings"
	"testing"

	"skep/internal/health"
	skimage "skep/internal/image"
	skswarm "skep/internal/swarm"
)

// The probes' network is made once; their service is created once,
// updated when its spec changes (a new skep binary is a new image) and
// left alone otherwise; each step says why in words of its own.
func TestHealthSteps(t *testing.T) {
	e := &env{cluster: testCluster("manager", "manager", "manager", "worker"), result: &Result{}}
	spec := nodeProbeSpec("skep-node-probe:new")
	hash := spec.Labels[skswarm.SpecHashLabel]
	cases := []struct {
		name  string
		nets  map[string]bool
		have  map[string]string
		steps string
	}{
		{"fresh", map[string]bool{}, map[string]string{},
			"node1: create overlay network " + health.Network + "\nnode1: create service " + health.ProbeService},
		{"converged", map[string]bool{health.Network: true}, map[string]string{health.ProbeService: hash}, ""},
		{"new binary", map[string]bool{health.Network: true},
			map[string]string{health.ProbeService: nodeProbeSpec("skep-node-probe:old").Labels[skswarm.SpecHashLabel]},
			"node1: update service " + health.ProbeService},
	}
	for _, c := range cases {
		steps := healthSteps(e, ingressState{networks: c.nets, services: c.have}, spec)
		if got := actions(steps); got != c.steps {
			t.Errorf("%s: plan\n%s\nwant\n%s", c.name, got, c.steps)
		}
		for _, s := range steps {
			if strings.Contains(s.Reason, "ingress") {
				t.Errorf("%s: reason %q", c.name, s.Reason)
			}
		}
	}
	if spec.Labels["skep.component"] != "health" {
		t.Errorf("labels %v", spec.Labels)
	}
}

// The probe runs on every node: its image goes to workers too.
func TestHealthImages(t *testing.T) {
	c := testCluster("manager", "manager", "manager", "worker")
	need := nodeImages(c)
	tag, err := nodeProbeRecipe.Tag()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"node1", "node2", "node3", "node4"} {
		if !slices.ContainsFunc(need[h], func(r skimage.Recipe) bool { t2, _ := r.Tag(); return t2 == tag }) {
			t.Errorf("%s lacks the node probe's image: %v", h, need[h])
		}
	}
}
