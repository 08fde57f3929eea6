package apply

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/controller"
	skimage "skep/internal/image"
	"skep/internal/ingress"
	skswarm "skep/internal/swarm"
)

// controllerWant is the declared controller, resolved to an image, a spec
// and the hosts that may run it.
type controllerWant struct {
	anchor    string
	managers  []string
	recipe    skimage.Recipe
	image     string
	roots     []byte // the CA's extra roots; nil for none
	rootsName string
	spec      swarm.ServiceSpec // with its hash label
}

// controllerState is what the swarm and the managers hold now.
type controllerState struct {
	service string // spec hash label of the existing service
	exists  bool
	configs []string // roots configs present (every version)
	// legacy is when each manager's old state directory (under the user
	// mount) was last written, for managers that still have one.
	legacy map[string]int64
}

// controllerRecipe is the controller's image: this skep binary, run as
// `skep skepd`, so the controller is always the version that deployed it.
func controllerRecipe() skimage.Recipe {
	return skimage.Self{Name: "skepd", Args: []string{"skepd"}}
}

// planController deploys the controller when the cluster file asks for
// certificates (it serves them through ingress, so both are needed).
func planController(ctx context.Context, e *env) ([]Step, error) {
	a := e.cluster.ACME
	if a == nil || e.cluster.Ingress == nil {
		return nil, nil
	}
	if e.cluster.Storage == nil {
		return nil, fmt.Errorf("acme needs a storage section: the controller keeps its account and certificates on skep's own volume")
	}
	w := controllerWant{anchor: e.cluster.FirstManager().Name, recipe: controllerRecipe()}
	for _, m := range e.cluster.Managers() {
		w.managers = append(w.managers, m.Name)
	}
	var err error
	if w.image, err = e.images.tagFor(w.recipe); err != nil {
		return nil, err
	}
	opts := controller.ServiceOptions{Image: w.image, CAURL: a.CAURL, Email: a.Email, Names: a.Names,
		StateDir: e.cluster.ControllerStateDir()}
	if a.CARoots != "" {
		if w.roots, err = os.ReadFile(a.CARoots); err != nil {
			return nil, fmt.Errorf("acme.ca_roots: %w", err)
		}
		w.rootsName = controller.RootsConfigName(w.roots)
		opts.RootsConfig = w.rootsName
	}
	w.spec = skswarm.WithHash(controller.ServiceSpec(opts))
	st, err := readControllerState(ctx, e, w)
	if err != nil {
		return nil, err
	}
	return controllerSteps(e, st, w), nil
}

func readControllerState(ctx context.Context, e *env, w controllerWant) (controllerState, error) {
	var st controllerState
	for _, m := range w.managers {
		if f := e.facts.Hosts[m]; f == nil || !f.DockerRunning {
			continue
		}
		if err := readLegacyState(ctx, e, m, &st); err != nil {
			return st, err
		}
	}
	mgr, err := swarmReader(ctx, e)
	if err != nil {
		return st, err
	}
	if mgr == nil {
		return st, nil
	}
	svc, _, err := mgr.ServiceInspectWithRaw(ctx, controller.ServiceName, swarm.ServiceInspectOptions{})
	switch {
	case err == nil:
		st.exists, st.service = true, svc.Spec.Labels[skswarm.SpecHashLabel]
	case !client.IsErrNotFound(err):
		return st, fmt.Errorf("inspect service %s: %w", controller.ServiceName, err)
	}
	if st.configs, err = configNames(ctx, mgr, controller.RootsConfigPrefix); err != nil {
		return st, err
	}
	return st, nil
}

// controllerSteps compares state and want without reading anything, so
// plans are tested from recorded states.
func controllerSteps(e *env, st controllerState, w controllerWant) []Step {
	var steps []Step
	cluster := func(action, reason string, run func(ctx context.Context, mgr client.APIClient) error) {
		steps = append(steps, clusterStep(e, w.anchor, action, reason, run))
	}
	if w.rootsName != "" && !contains(st.configs, w.rootsName) {
		cluster("create swarm config "+w.rootsName+" (roots of the ACME CA's endpoint)", "acme.ca_roots is set and the swarm lacks this version",
			func(ctx context.Context, mgr client.APIClient) error {
				_, err := mgr.ConfigCreate(ctx, swarm.ConfigSpec{
					Annotations: swarm.Annotations{Name: w.rootsName, Labels: map[string]string{ingress.ComponentLabel: "controller"}},
					Data:        w.roots})
				return err
			})
	}
	// Old state is moved with the service stopped, which is then created
	// anew with the new state directory.
	moves := legacySteps(e, st, w)
	steps = append(steps, moves...)
	svc := ingressState{services: map[string]string{}}
	if st.exists && len(moves) == 0 {
		svc.services[controller.ServiceName] = st.service
	}
	if step, ok := serviceStep(svc, w.spec, 1, resolveRefs); ok {
		step.reason = strings.Replace(step.reason, "ingress needs it", "acme is configured", 1)
		cluster(step.action, step.reason, step.run)
	}
	// Old versions of the roots go once the service no longer uses them.
	for _, c := range st.configs {
		if c == w.rootsName {
			continue
		}
		c := c
		cluster("remove swarm config "+c, "no longer used by the controller", func(ctx context.Context, mgr client.APIClient) error {
			return mgr.ConfigRemove(ctx, c)
		})
	}
	return steps
}
