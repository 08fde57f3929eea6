package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/config"
	skimage "skep/internal/image"
	"skep/internal/ingress"
	"skep/internal/placement"
	"skep/internal/rebalance"
	skswarm "skep/internal/swarm"
)

// leaderAgentRecipe is the image of skep-leader-agent: this skep binary,
// run as `skep leader-agent`, so the agent is always the version of skep
// that applied it.
var leaderAgentRecipe skimage.Recipe = skimage.Self{Name: "leader-agent", Args: []string{"leader-agent"}}

// planPlacement converges the leader agent: one task on every manager.
// The swarm exists by the time it runs (the swarm phase came first); in
// a plan of a fresh cluster nothing can be read yet and the service is
// to be made.
func planPlacement(ctx context.Context, e *env) ([]Step, error) {
	tag, err := e.images.tagFor(leaderAgentRecipe)
	if err != nil {
		return nil, err
	}
	st := ingressState{services: map[string]string{}}
	mgr, err := swarmReader(ctx, e)
	if err != nil {
		return nil, err
	}
	if mgr != nil {
		svc, _, err := mgr.ServiceInspectWithRaw(ctx, placement.AgentService, swarm.ServiceInspectOptions{})
		switch {
		case err == nil:
			st.services[placement.AgentService] = svc.Spec.Labels[skswarm.SpecHashLabel]
		case !client.IsErrNotFound(err):
			return nil, fmt.Errorf("inspect service %s: %w", placement.AgentService, err)
		}
	}
	return placementSteps(e, st, leaderAgentSpec(tag, e.cluster)), nil
}

// leaderAgentSpec is the agent's service, marked as skep's like the other
// services skep runs, with its hash. When the file asks for automatic
// rebalancing, the agent on the leader also does that (it has the
// manager's engine already, and only the leader acts).
func leaderAgentSpec(image string, c *config.Cluster) swarm.ServiceSpec {
	spec := placement.AgentSpec(image)
	spec.Labels = map[string]string{ingress.ComponentLabel: "placement"}
	if after, on := c.AutoRebalance(); on {
		spec.TaskTemplate.ContainerSpec.Env = []string{rebalance.AutoEnv(after)}
	}
	return skswarm.WithHash(spec)
}

// placementSteps compares state and want without reading anything, so
// plans are tested from recorded states.
func placementSteps(e *env, st ingressState, spec swarm.ServiceSpec) []Step {
	step, ok := serviceStep(st, spec, len(e.cluster.Managers()), nil)
	if !ok {
		return nil
	}
	step.reason = strings.Replace(step.reason, "ingress needs it", "it keeps the controller and single-replica services off the swarm leader", 1)
	return []Step{clusterStep(e, e.cluster.FirstManager().Name, step.action, step.reason, step.run)}
}
