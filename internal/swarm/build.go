package swarm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/poll"
)

// Init creates a new swarm on this engine, advertising addr to the others,
// with the given dispatcher heartbeat period. The engine lays the spec
// over swarm's defaults, so only the heartbeat departs from them.
func Init(ctx context.Context, cli client.APIClient, addr string, heartbeat time.Duration) (string, error) {
	req := swarm.InitRequest{
		ListenAddr:    listenAddr(),
		AdvertiseAddr: net.JoinHostPort(addr, strconv.Itoa(ListenPort)),
	}
	req.Spec.Dispatcher.HeartbeatPeriod = heartbeat
	id, err := cli.SwarmInit(ctx, req)
	if err != nil {
		return "", fmt.Errorf("swarm init: %w", err)
	}
	return id, nil
}

// Tokens reads the join tokens from a manager. They are secrets: callers
// pass them straight to Join over the API and never log them.
func Tokens(ctx context.Context, manager client.APIClient) (swarm.JoinTokens, error) {
	sw, err := manager.SwarmInspect(ctx)
	if err != nil {
		return swarm.JoinTokens{}, fmt.Errorf("swarm inspect: %w", err)
	}
	return sw.JoinTokens, nil
}

// Join makes this engine join the swarm at remote (a manager's address)
// with the given token; the token decides the role.
func Join(ctx context.Context, cli client.APIClient, addr, remote, token string) error {
	err := cli.SwarmJoin(ctx, swarm.JoinRequest{
		ListenAddr:    listenAddr(),
		AdvertiseAddr: net.JoinHostPort(addr, strconv.Itoa(ListenPort)),
		RemoteAddrs:   []string{net.JoinHostPort(remote, strconv.Itoa(ListenPort))},
		JoinToken:     token,
	})
	if err != nil {
		return fmt.Errorf("swarm join %s: %w", remote, err)
	}
	return nil
}

// Leave takes the engine out of a swarm it could not finish joining.
func Leave(ctx context.Context, cli client.APIClient) error {
	return cli.SwarmLeave(ctx, true)
}

func listenAddr() string { return "0.0.0.0:" + strconv.Itoa(ListenPort) }

// WaitReady polls a manager until the node is ready and, for a manager,
// reachable in Raft: the next join must not start before quorum includes
// this one, or two half-joined managers could cost the swarm its quorum.
func WaitReady(ctx context.Context, manager client.APIClient, nodeID string, wantManager bool, timeout time.Duration) error {
	return poll.Until(ctx, "node "+nodeID+" ready", 250*time.Millisecond, timeout, func(ctx context.Context) error {
		n, _, err := manager.NodeInspectWithRaw(ctx, nodeID)
		switch {
		case err != nil:
			return err
		case n.Status.State != swarm.NodeStateReady:
			return fmt.Errorf("state %s", n.Status.State)
		case wantManager && (n.ManagerStatus == nil || n.ManagerStatus.Reachability != swarm.ReachabilityReachable):
			return errors.New("manager not reachable yet")
		}
		return nil
	})
}

// SetRole promotes or demotes a node.
func SetRole(ctx context.Context, manager client.APIClient, nodeID string, role swarm.NodeRole) error {
	return updateNode(ctx, manager, nodeID, func(spec *swarm.NodeSpec) { spec.Role = role })
}

// SetLabels sets the given labels on a node, leaving other labels alone.
func SetLabels(ctx context.Context, manager client.APIClient, nodeID string, labels map[string]string) error {
	return updateNode(ctx, manager, nodeID, func(spec *swarm.NodeSpec) {
		if spec.Labels == nil {
			spec.Labels = map[string]string{}
		}
		for k, v := range labels {
			spec.Labels[k] = v
		}
	})
}

// updateNode retries on "update out of sequence", which a concurrent update
// of the same node (e.g. by the swarm itself) causes.
func updateNode(ctx context.Context, manager client.APIClient, nodeID string, change func(*swarm.NodeSpec)) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var n swarm.Node
		n, _, err = manager.NodeInspectWithRaw(ctx, nodeID)
		if err != nil {
			return err
		}
		spec := n.Spec
		change(&spec)
		if err = manager.NodeUpdate(ctx, nodeID, n.Version, spec); err == nil {
			return nil
		}
		if serr := poll.Sleep(ctx, 200*time.Millisecond); serr != nil {
			return serr
		}
	}
	return fmt.Errorf("update node %s: %w", nodeID, err)
}

// Remove takes a node out of the swarm's node list; force, because the node
// is usually gone and cannot leave by itself.
func Remove(ctx context.Context, manager client.APIClient, nodeID string) error {
	return manager.NodeRemove(ctx, nodeID, types.NodeRemoveOptions{Force: true})
}

// Drain sets a node's availability to drain and waits until no task runs
// on it any more, so its services are already running elsewhere.
func Drain(ctx context.Context, manager client.APIClient, nodeID string, timeout time.Duration) error {
	if err := updateNode(ctx, manager, nodeID, func(spec *swarm.NodeSpec) { spec.Availability = swarm.NodeAvailabilityDrain }); err != nil {
		return err
	}
	return poll.Until(ctx, "node "+nodeID+" drained", time.Second, timeout, func(ctx context.Context) error {
		tasks, err := manager.TaskList(ctx, types.TaskListOptions{Filters: filters.NewArgs(
			filters.Arg("node", nodeID), filters.Arg("desired-state", "running"))})
		if err != nil {
			return poll.Stop(err)
		}
		if len(tasks) > 0 {
			return fmt.Errorf("%d task(s) still run on it", len(tasks))
		}
		return nil
	})
}
