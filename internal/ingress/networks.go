package ingress

import "github.com/docker/docker/api/types/network"

// ComponentLabel marks everything skep's ingress creates, so it can be
// found (and told apart from a user's objects of the same name).
const ComponentLabel = "skep.component"

// Network is one overlay network ingress needs.
type Network struct {
	Name   string
	Create network.CreateOptions
}

// Networks are the overlays ingress needs: the public one routed services
// attach to (attachable, so `docker run --network` works too), and the
// proxy's, internal (no way out) and not attachable, so only the services
// skep puts on it can reach the Docker API proxy.
func Networks() []Network {
	return []Network{
		{Name: PublicNetwork, Create: network.CreateOptions{Driver: "overlay", Attachable: true,
			Labels: map[string]string{ComponentLabel: "ingress"}}},
		{Name: ProxyNetwork, Create: network.CreateOptions{Driver: "overlay", Internal: true,
			Labels: map[string]string{ComponentLabel: "ingress"}}},
	}
}
