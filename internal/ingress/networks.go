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

// Networks are the overlays ingress needs. Only the public one, which
// routed services join, is attachable (so `docker run --network` works
// too). The others are not attachable, so only the services skep puts on
// them are there: the proxy's and the controller's are internal (no way
// out): apps can reach neither the Docker API proxy nor the controller,
// which hands out every certificate's key. The controller's egress network
// is not internal (the controller must reach its ACME CA) and holds the
// controller alone.
func Networks() []Network {
	labels := func() map[string]string { return map[string]string{ComponentLabel: "ingress"} }
	return []Network{
		{Name: PublicNetwork, Create: network.CreateOptions{Driver: "overlay", Attachable: true, Labels: labels()}},
		{Name: ProxyNetwork, Create: network.CreateOptions{Driver: "overlay", Internal: true, Labels: labels()}},
		{Name: ControllerNetwork, Create: network.CreateOptions{Driver: "overlay", Internal: true, Labels: labels()}},
		{Name: EgressNetwork, Create: network.CreateOptions{Driver: "overlay", Labels: labels()}},
	}
}
