package ingress

import (
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"skep/internal/image"
)

// ProxyRecipe is the socket proxy's image: Debian's HAProxy with a
// configuration that passes only reads (images/socket-proxy).
func ProxyRecipe() image.Dockerfile { return image.Dockerfile("socket-proxy") }

// DockerSocket is the engine's socket. With ingress the proxy mounts it
// read-only, and the only other container that does is the leader agent
// (internal/placement), on no network, to move a node label.
const DockerSocket = "/var/run/docker.sock"

// ProxySpec is the socket proxy's swarm service: one task on every manager
// (services and tasks are only answered by a manager's engine), the socket
// bound read-only, reachable only on the proxy network it shares with
// Traefik. Several tasks mean Traefik keeps reading when a manager dies.
func ProxySpec(img string) swarm.ServiceSpec {
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: ProxyService, Labels: map[string]string{ComponentLabel: "ingress"}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:  img,
				Mounts: []mount.Mount{{Type: mount.TypeBind, Source: DockerSocket, Target: DockerSocket, ReadOnly: true}},
			},
			Placement:     &swarm.Placement{Constraints: []string{"node.role==manager"}},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: ProxyNetwork}},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, Delay: durationPtr(time.Second)},
		},
		Mode:         swarm.ServiceMode{Global: &swarm.GlobalService{}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Order: swarm.UpdateOrderStopFirst, FailureAction: swarm.UpdateFailureActionPause},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
}
