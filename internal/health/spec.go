package health

import (
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
)

// dockerSocket is the engine's socket on every host.
const dockerSocket = "/var/run/docker.sock"

// NetworkOptions create the skep-health overlay: internal, so nothing on
// it reaches out, and not attachable, so `docker run --network` cannot
// put a container next to the probes; only the two services skep puts
// on it (the probes and the leader agents) are there.
func NetworkOptions(labels map[string]string) network.CreateOptions {
	return network.CreateOptions{Driver: "overlay", Internal: true, Labels: labels}
}

// ProbeSpec is the probe's swarm service: one task on every node,
// managers and workers, image a skep image whose entrypoint is
// `skep node-probe`.
//
// It joins skep-health only, with DNS round robin, so
// tasks.skep-node-probe resolves to every task's own address (the prober
// must reach each node, not a virtual IP that balances among them), and
// it publishes no port on the host.
//
// The engine socket is bound read-only. A read-only bind does not stop
// API writes (it only keeps the socket file from being replaced), so the
// safety is in the probe's code: it only ever asks the engine /_ping, the
// least that tells the engine answers. That is worth the socket: a node
// whose engine died or hangs runs no new task and stops none, yet its
// running containers, the probe among them, would go on answering.
//
// An update starts the new task before it stops the old one, so every
// node keeps an answering probe throughout.
func ProbeSpec(image string) swarm.ServiceSpec {
	restart := time.Second
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: ProbeService},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:  image,
				Env:    []string{HostnameEnv + "={{.Node.Hostname}}", NodeIDEnv + "={{.Node.ID}}"},
				Mounts: []mount.Mount{{Type: mount.TypeBind, Source: dockerSocket, Target: dockerSocket, ReadOnly: true}},
			},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: Network}},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, Delay: &restart},
		},
		Mode:         swarm.ServiceMode{Global: &swarm.GlobalService{}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Order: swarm.UpdateOrderStartFirst, FailureAction: swarm.UpdateFailureActionPause},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
}

// ProberNetwork is the attachment a prober's service (the leader agent)
// needs to reach the probes.
func ProberNetwork() swarm.NetworkAttachmentConfig {
	return swarm.NetworkAttachmentConfig{Target: Network}
}

// ProberMount binds the host's /run into a prober's task at HostRun,
// read-write; the prober makes ViewDir below it (AgentViewDir) when it
// starts. Not ViewDir itself: /run is a tmpfs, so ViewDir is gone after
// every reboot, and swarm refuses a task whose bind source is missing
// (it does not honour CreateMountpoint for services: the lab's Docker 26
// rejected every task). The prober already binds the engine's socket,
// which lives in /run too, read-write.
func ProberMount() mount.Mount {
	return mount.Mount{Type: mount.TypeBind, Source: "/run", Target: HostRun}
}
