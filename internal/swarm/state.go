// Package swarm drives Docker Swarm through the Engine API (Docker's Go
// client, reached over SSH): what a node's swarm state is, and the steps
// that build a swarm: init, join, promote, demote, labels.
package swarm

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// ListenPort is where swarm managers accept joins and Raft traffic.
const ListenPort = 2377

// State is one engine's view of its own swarm membership.
type State struct {
	Local     swarm.LocalNodeState // inactive, pending, active, error, locked
	NodeID    string
	ClusterID string
	Manager   bool // this engine can serve the swarm's control API
	Error     string
	// Clock is the engine's time when it answered (zero if it did not
	// say): ages of the swarm's own timestamps are measured on it, so a
	// skewed clock where skep runs does not distort them.
	Clock time.Time
}

// InSwarm reports whether the engine is a working member of a swarm.
func (s State) InSwarm() bool { return s.Local == swarm.LocalNodeStateActive && s.NodeID != "" }

// Inspect reads the engine's swarm state.
func Inspect(ctx context.Context, cli client.APIClient) (State, error) {
	info, err := cli.Info(ctx)
	if err != nil {
		return State{}, fmt.Errorf("docker info: %w", err)
	}
	s := State{
		Local:   info.Swarm.LocalNodeState,
		NodeID:  info.Swarm.NodeID,
		Manager: info.Swarm.ControlAvailable,
		Error:   info.Swarm.Error,
	}
	if t, err := time.Parse(time.RFC3339Nano, info.SystemTime); err == nil {
		s.Clock = t
	}
	if info.Swarm.Cluster != nil {
		s.ClusterID = info.Swarm.Cluster.ID
	}
	return s, nil
}
