package apply

import (
	"slices"
	"strings"
	"testing"

	"skep/internal/config"
	skimage "skep/internal/image"
	"skep/internal/placement"
	skswarm "skep/internal/swarm"
)

// The agent's service is created once, updated when its spec changes (a
// new skep binary is a new image), and left alone otherwise; each step
// says why in words of its own, not ingress's.
func TestPlacementSteps(t *testing.T) {
	e := &env{cluster: testCluster("manager", "manager", "manager", "worker"), result: &Result{}}
	spec := leaderAgentSpec("skep-leader-agent:new", &config.Cluster{})
	hash := spec.Labels[skswarm.SpecHashLabel]
	cases := []struct {
		name  string
		have  map[string]string
		steps string
	}{
		{"fresh", map[string]string{}, "node1: create service " + placement.AgentService},
		{"converged", map[string]string{placement.AgentService: hash}, ""},
		{"new binary", map[string]string{placement.AgentService: leaderAgentSpec("skep-leader-agent:old", &config.Cluster{}).Labels[skswarm.SpecHashLabel]},
			"node1: update service " + placement.AgentService},
	}
	for _, c := range cases {
		steps := placementSteps(e, ingressState{services: c.have}, spec)
		if got := actions(steps); got != c.steps {
			t.Errorf("%s: plan\n%s\nwant\n%s", c.name, got, c.steps)
		}
		for _, s := range steps {
			if strings.Contains(s.Reason, "ingress") || (c.name == "fresh" && !strings.Contains(s.Reason, "off the swarm leader")) {
				t.Errorf("%s: reason %q", c.name, s.Reason)
			}
		}
	}
	if spec.Labels["skep.component"] != "placement" {
		t.Errorf("labels %v", spec.Labels)
	}
}

// The agent runs on managers only: its image goes to them, not to workers.
func TestPlacementImages(t *testing.T) {
	c := testCluster("manager", "manager", "manager", "worker")
	need := nodeImages(c)
	tag, err := leaderAgentRecipe.Tag()
	if err != nil {
		t.Fatal(err)
	}
	has := func(host string) bool {
		return slices.ContainsFunc(need[host], func(r skimage.Recipe) bool { t2, _ := r.Tag(); return t2 == tag })
	}
	if !has("node1") || !has("node3") || has("node4") {
		t.Errorf("leader agent image on managers only: %v", need)
	}
}

// swarm.rebalance.auto reaches the agent on the leader as its environment;
// without it the agent has none.
func TestLeaderAgentSpecCarriesAutoRebalance(t *testing.T) {
	off := leaderAgentSpec("skep-leader-agent:x", &config.Cluster{})
	if env := off.TaskTemplate.ContainerSpec.Env; len(env) != 0 {
		t.Fatalf("no swarm.rebalance: env %v, want none", env)
	}
	on := &config.Cluster{Swarm: config.Swarm{Rebalance: &config.Rebalance{Auto: true, After: "30s"}}}
	env := leaderAgentSpec("skep-leader-agent:x", on).TaskTemplate.ContainerSpec.Env
	if len(env) != 1 || !strings.HasSuffix(env[0], "=30s") {
		t.Fatalf("swarm.rebalance.auto after 30s: env %v, want the rebalance variable set to 30s", env)
	}
}
