package apply

import (
	"skep/internal/config"
	skimage "skep/internal/image"
	"skep/internal/ingress"
	"skep/internal/status"
)

// components is the one ordered list of what skep builds. Order matters:
// a component may rely on those before it (the controller keeps its state
// on storage and is reached through ingress; the VIP tracks Traefik), and
// removal runs the list backwards.
func components() []component {
	return []component{
		{
			name:     "host",
			problems: func(_ *config.Cluster, f *Facts) []string { return hostProblems(f) },
			phases:   []phase{{"prepare host", planPrepare}},
		},
		{
			name:   "swarm",
			phases: []phase{{"swarm", planSwarm}, {"node labels", planLabels}},
		},
		{
			name:     "storage",
			declared: func(c *config.Cluster) bool { return c.Storage != nil },
			problems: storageProblems,
			images:   func(c *config.Cluster) map[string][]skimage.Recipe { return onHostsOf(c.BrickHosts(), glusterdRecipe) },
			phases:   []phase{{"storage", planStorage}, {"system storage", planSystemStorage}},
			remove:   planRemoveStorage,
			status:   &status.StorageSection,
		},
		{
			name:     "vip",
			declared: func(c *config.Cluster) bool { return c.VIP != nil },
			images:   func(c *config.Cluster) map[string][]skimage.Recipe { return onHostsOf(c.VIPHosts(), keepalivedRecipe) },
			phases:   []phase{{"vip", planVIP}},
			// planVIP removes keepalived from every host the file does not
			// give it, the whole cluster when there is no vip section.
			remove: planVIP,
			status: &status.VIPSection,
		},
		{
			name:     "ingress",
			declared: func(c *config.Cluster) bool { return c.Ingress != nil },
			images:   ingressImages,
			phases:   []phase{{"ingress", planIngress}},
			remove:   planRemoveIngress,
			status:   &status.IngressSection,
		},
		{
			// Every node answers the managers' probes; the probers are the
			// leader agents (placement, next), which join its network.
			name:     "health",
			declared: func(*config.Cluster) bool { return true },
			images: func(c *config.Cluster) map[string][]skimage.Recipe {
				return onHostsOf(c.Hosts, nodeProbeRecipe)
			},
			phases: []phase{{"health", planHealth}},
		},
		{
			// The leader agent runs on every swarm; it comes before acme so
			// the leader carries its label before the controller, which
			// avoids it, is first placed.
			name:     "placement",
			declared: func(*config.Cluster) bool { return true },
			images: func(c *config.Cluster) map[string][]skimage.Recipe {
				return onHostsOf(c.Managers(), leaderAgentRecipe)
			},
			phases: []phase{{"placement", planPlacement}},
		},
		{
			name:     "acme",
			declared: func(c *config.Cluster) bool { return c.ACME != nil && c.Ingress != nil },
			images: func(c *config.Cluster) map[string][]skimage.Recipe {
				return onHostsOf(c.Managers(), controllerRecipe())
			},
			phases: []phase{{"controller", planController}},
			remove: planRemoveController,
			status: &status.CertificatesSection,
		},
	}
}

// ingressImages are Traefik and its socket proxy on every manager; a
// Traefik image named in the file is pulled by the engines instead.
func ingressImages(c *config.Cluster) map[string][]skimage.Recipe {
	recipes := []skimage.Recipe{ingress.ProxyRecipe()}
	if c.Ingress.Image == "" {
		recipes = append(recipes, ingress.TraefikRecipe())
	}
	return onHostsOf(c.Managers(), recipes...)
}

// storageProblems: every host mounts the shared volume through FUSE.
func storageProblems(_ *config.Cluster, f *Facts) []string {
	if f.FUSE {
		return nil
	}
	return []string{"no /dev/fuse, but storage: is declared and every host mounts the shared GlusterFS volume through FUSE: " +
		"load the fuse module (modprobe fuse; in a container, pass --device /dev/fuse), or remove the storage section"}
}
