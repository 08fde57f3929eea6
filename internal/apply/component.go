package apply

import (
	"context"

	"skep/internal/config"
	skimage "skep/internal/image"
	"skep/internal/status"
)

// component is one part of the cluster skep builds (the swarm, storage,
// the VIP, ingress, the controller) as one value: everything apply, plan,
// preflight, the images phase, verify and status need to know of it. The
// ordered list in components.go is the only place a component is named;
// adding one is its own package, its files here, and one entry there.
type component struct {
	// name is how plan, status and the docs call it.
	name string
	// declared tells whether the cluster file asks for it. nil means
	// always (the hosts and the swarm itself).
	declared func(c *config.Cluster) bool
	// problems are preflight's findings on one host that stop the run
	// before any change, when the component is declared.
	problems func(c *config.Cluster, f *Facts) []string
	// images are the node-service images it runs, per host; the images
	// phase loads those a host lacks before any component phase runs.
	images func(c *config.Cluster) map[string][]skimage.Recipe
	// phases plan its steps from facts, in order, when it is declared.
	phases []phase
	// remove plans taking it away when the file no longer declares it:
	// its services, containers and configs, not its data (unless the run
	// was told to remove data too). nil: nothing to remove.
	remove func(ctx context.Context, e *env) ([]Step, error)
	// status is its section of the health report, judged by `skep status`
	// and by apply's verify alike; nil: covered by the nodes and swarm
	// lines every report has.
	status *status.Section
}

// isDeclared tells whether the cluster file asks for the component.
func (cp component) isDeclared(c *config.Cluster) bool {
	return cp.declared == nil || cp.declared(c)
}

// declaredComponents are the components the cluster file asks for, in
// list order.
func declaredComponents(c *config.Cluster) []component {
	var out []component
	for _, cp := range components() {
		if cp.isDeclared(c) {
			out = append(out, cp)
		}
	}
	return out
}

// runPhases is every phase of a run, in order: the components that are
// always there (hosts, swarm), then the removal of components the file no
// longer declares (the last in the list first, as what came later may
// depend on what came before), then one images phase for all, then the
// declared components' phases in list order. plan and apply both run
// exactly these, so a plan lists what apply will do.
func runPhases(c *config.Cluster) []phase {
	var always, removals, declared []phase
	list := components()
	for _, cp := range list {
		switch {
		case cp.declared == nil:
			always = append(always, cp.phases...)
		case cp.isDeclared(c):
			declared = append(declared, cp.phases...)
		}
	}
	for i := len(list) - 1; i >= 0; i-- {
		if cp := list[i]; !cp.isDeclared(c) && cp.remove != nil {
			removals = append(removals, phase{"remove " + cp.name, cp.remove})
		}
	}
	out := append(always, removals...)
	out = append(out, phase{"images", planImages})
	return append(out, declared...)
}

// StatusSections are the health-report sections of the components c
// declares, in list order: what `skep status` shows and apply's verify
// waits for.
func StatusSections(c *config.Cluster) []status.Section {
	var out []status.Section
	for _, cp := range declaredComponents(c) {
		if cp.status != nil {
			out = append(out, *cp.status)
		}
	}
	return out
}

// nodeImages lists, per host, the images the declared components run
// there, each component choosing its own hosts.
func nodeImages(c *config.Cluster) map[string][]skimage.Recipe {
	need := map[string][]skimage.Recipe{}
	for _, cp := range declaredComponents(c) {
		if cp.images == nil {
			continue
		}
		for h, list := range cp.images(c) {
			need[h] = append(need[h], list...)
		}
	}
	return need
}

// onHostsOf gives each of hosts the same images.
func onHostsOf(hosts []config.Host, recipes ...skimage.Recipe) map[string][]skimage.Recipe {
	out := map[string][]skimage.Recipe{}
	for _, h := range hosts {
		out[h.Name] = append(out[h.Name], recipes...)
	}
	return out
}

// ComponentNames are the components in list order, for help texts and
// their tests.
func ComponentNames() []string {
	var out []string
	for _, cp := range components() {
		out = append(out, cp.name)
	}
	return out
}
