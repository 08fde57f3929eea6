// Package health is one concern: which swarm nodes are up, as the
// managers see them by asking each node's engine, not by waiting for the
// swarm to say so.
//
// Swarm marks a dead node down only after missed heartbeats (about three
// periods), and right after a leader election it first marks every node
// unknown. A frozen node still completes TCP handshakes (its kernel
// answers), so only an application-level answer within a short timeout
// tells that it is gone. So:
//
//   - every node runs a task of skep-node-probe (probe.go, spec.go), on
//     the internal overlay network skep-health, that answers GET /_ping
//     with its node's name once its own engine has answered /_ping;
//   - every manager's skep-leader-agent runs a Prober (prober.go): every
//     second it asks each probe task, with a one-second timeout, keeps per
//     node since when it answers or fails, and writes that View to a file
//     on the host's tmpfs (view.go);
//   - `skep status` reads each manager's file over SSH, and Judge
//     (judge.go) calls a node down when a majority of the managers whose
//     view is fresh say it does not answer.
package health

import "time"

// Names and places shared by the probe, the prober, apply and status.
const (
	// ProbeService is the probe's swarm service, one task on every node.
	ProbeService = "skep-node-probe"
	// Network is the overlay network the probe tasks and the leader
	// agents share: internal (no way out) and not attachable, so only the
	// services skep puts on it reach a probe.
	Network = "skep-health"
	// ProbePort is where a probe task listens, inside its task: no port
	// is published on the host.
	ProbePort = 8099
	// PingPath is the probe's one path.
	PingPath = "/_ping"
	// ViewDir is the host directory each manager's agent writes its view
	// to, as NODE.json. /run is a tmpfs on the hosts: a view does not
	// outlive a reboot, and a read never waits on a disk.
	ViewDir = "/run/skep/health"
	// HostRun is where a prober's task sees the host's /run (see
	// ProberMount), and AgentViewDir is ViewDir seen from there.
	HostRun      = "/host/run"
	AgentViewDir = HostRun + "/skep/health"
	// HostnameEnv and NodeIDEnv carry the node's swarm host name and ID
	// into a task (swarm fills in {{.Node.Hostname}} and {{.Node.ID}}).
	HostnameEnv = "SKEP_NODE_HOSTNAME"
	NodeIDEnv   = "SKEP_NODE_ID"
)

// Timing.
const (
	// Interval is how often a prober starts a round of probes.
	Interval = time.Second
	// ProbeTimeout bounds one probe: a live node answers in milliseconds;
	// a frozen one accepts the connection and never answers.
	ProbeTimeout = time.Second
	// EngineTimeout bounds the probe's own question to its engine, well
	// inside ProbeTimeout so the answer still reaches the prober.
	EngineTimeout = 500 * time.Millisecond
	// Fresh is how old a view may be and still count: a prober rewrites
	// its view every round (one to two seconds), so an older view means
	// its agent is stopped or its manager frozen.
	Fresh = 5 * time.Second
)

// The probe states of a node, as Judge gives them.
const (
	ProbeOK      = "ok"
	ProbeDown    = "down"
	ProbeUnknown = "unknown"
)
