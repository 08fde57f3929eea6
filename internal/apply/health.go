package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/health"
	skimage "skep/internal/image"
	"skep/internal/ingress"
	skswarm "skep/internal/swarm"
)

// nodeProbeRecipe is the image of skep-node-probe: this skep binary, run
// as `skep node-probe`, on every node.
var nodeProbeRecipe skimage.Recipe = skimage.Self{Name: "node-probe", Args: []string{"node-probe"}}

// planHealth converges the node probes: the skep-health network and one
// probe task on every node. The probers are the leader agents, which the
// placement component that follows puts on that network. In a plan of a
// fresh cluster nothing can be read yet and everything is to be made.
func planHealth(ctx context.Context, e *env) ([]Step, error) {
	tag, err := e.images.tagFor(nodeProbeRecipe)
	if err != nil {
		return nil, err
	}
	st := ingressState{networks: map[string]bool{}, services: map[string]string{}}
	mgr, err := swarmReader(ctx, e)
	if err != nil {
		return nil, err
	}
	if mgr != nil {
		nets, err := mgr.NetworkList(ctx, network.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list networks: %w", err)
		}
		for _, n := range nets {
			if n.Scope == "swarm" {
				st.networks[n.Name] = true
			}
		}
		svc, _, err := mgr.ServiceInspectWithRaw(ctx, health.ProbeService, swarm.ServiceInspectOptions{})
		switch {
		case err == nil:
			st.services[health.ProbeService] = svc.Spec.Labels[skswarm.SpecHashLabel]
		case !client.IsErrNotFound(err):
			return nil, fmt.Errorf("inspect service %s: %w", health.ProbeService, err)
		}
	}
	return healthSteps(e, st, nodeProbeSpec(tag)), nil
}

// healthLabels mark what the health component creates as skep's.
func healthLabels() map[string]string { return map[string]string{ingress.ComponentLabel: "health"} }

// nodeProbeSpec is the probe's service, marked as skep's, with its hash.
func nodeProbeSpec(image string) swarm.ServiceSpec {
	spec := health.ProbeSpec(image)
	spec.Labels = healthLabels()
	return skswarm.WithHash(spec)
}

// healthSteps compares state and want without reading anything, so plans
// are tested from recorded states.
func healthSteps(e *env, st ingressState, spec swarm.ServiceSpec) []Step {
	anchor := e.cluster.FirstManager().Name
	var steps []Step
	if !st.networks[health.Network] {
		steps = append(steps, clusterStep(e, anchor, "create overlay network "+health.Network,
			"the managers probe every node on it and the swarm lacks it",
			func(ctx context.Context, mgr client.APIClient) error {
				_, err := mgr.NetworkCreate(ctx, health.Network, health.NetworkOptions(healthLabels()))
				return err
			}))
	}
	step, ok := serviceStep(st, spec, len(e.cluster.Hosts), nil)
	if ok {
		step.reason = strings.Replace(step.reason, "ingress needs it", "every node answers the managers' probes through it", 1)
		steps = append(steps, clusterStep(e, anchor, step.action, step.reason, step.run))
	}
	return steps
}
