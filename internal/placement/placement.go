// Package placement keeps skep's singletons off the swarm leader.
//
// When the leader dies, swarm can move nothing until raft has elected
// another one (about 10-12 s, not tunable on Docker 26), and the new
// leader then marks every node unknown for a few seconds more. A task that
// ran on the dead leader waits all that time; a task on a follower does
// not notice (zero failed requests in 7 trials). So the agent here
// (`skep leader-agent`, one task on every manager) keeps the node label
// LeaderLabel on the leader, and services that must not lose their only
// task carry the constraint AvoidLeader: the controller always, app
// services with one replica unless their deploy labels opt out.
//
// The package has three parts: the constraint and which services get it
// (rule.go), the pure decision where the label goes (decide.go), and the
// agent loop that reads the local engine and writes node labels
// (agent.go), with its service spec (here).
package placement

import (
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"skep/internal/health"
)

const (
	// LeaderLabel is the node label the agent keeps on the leader, with
	// the value "true". Keys starting with "skep." are reserved in the
	// cluster file, so no user label collides with it.
	LeaderLabel = "skep.leader"
	// AvoidLeader is the constraint that keeps a service's tasks off the
	// labelled node. A node without the label matches it, so it is
	// harmless where no node is labelled (no agent, one manager); when the
	// label lands on the node running a task, swarm's constraint enforcer
	// starts the task elsewhere (new task running about 0.5 s later).
	AvoidLeader = "node.labels." + LeaderLabel + "!=true"
	// OptOutLabel, set to OptOutAllow in a service's deploy labels, lets
	// a single-replica app service run on the leader: one pinned to its
	// node by other means, or one whose moves cost more than a leader's
	// death.
	OptOutLabel = "skep.placement.leader"
	OptOutAllow = "allow"
)

// AgentService is the agent's swarm service.
const AgentService = "skep-leader-agent"

// dockerSocket is the engine's socket, bound into the agent's container.
const dockerSocket = "/var/run/docker.sock"

// AgentSpec is the agent's swarm service: one task on every manager (any
// of them may become leader, and only the leader's agent writes), image a
// skep image whose entrypoint is `skep leader-agent`. The same process
// runs each manager's node prober (internal/health), which is why every
// manager runs one.
//
// The engine socket is bound read-write: moving a node label is a node
// update, which only a manager's engine API takes, and that is the least
// access that works. The read-only socket proxy Traefik uses stays
// read-only (it refuses every write, and Traefik reaches it). For the
// prober the agent joins skep-health (internal, not attachable), where it
// asks the node probes; it listens on nothing there, so no task can reach
// it. It binds the host's health.ViewDir, where it writes its view.
//
// It restarts a second after it stops, whatever the reason; an update
// stops the old task before the new one starts, one manager at a time,
// so two agents never run on one node.
func AgentSpec(image string) swarm.ServiceSpec {
	restart := time.Second
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: AgentService},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:  image,
				Mounts: []mount.Mount{{Type: mount.TypeBind, Source: dockerSocket, Target: dockerSocket}, health.ProberMount()},
			},
			Networks:      []swarm.NetworkAttachmentConfig{health.ProberNetwork()},
			Placement:     &swarm.Placement{Constraints: []string{"node.role==manager"}},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, Delay: &restart},
		},
		Mode:         swarm.ServiceMode{Global: &swarm.GlobalService{}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Order: swarm.UpdateOrderStopFirst, FailureAction: swarm.UpdateFailureActionPause},
		// Nothing resolves or reaches the agent by name: DNS round robin
		// asks swarm for no virtual IP (and no IPVS, which some kernels lack).
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
}
