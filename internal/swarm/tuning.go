package swarm

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/poll"
)

// Swarm's own timings, which the cluster file's tuning section departs
// from (internal/tuning shows them side by side).
const (
	// StockDispatcherHeartbeat is swarmkit's default heartbeat period; a
	// node is marked down after about three missed heartbeats.
	StockDispatcherHeartbeat = 5 * time.Second
	// StockRestartDelay is the restart delay swarm gives a task whose
	// service sets none.
	StockRestartDelay = 5 * time.Second
)

// Heartbeat reads the swarm's dispatcher heartbeat period from a manager.
func Heartbeat(ctx context.Context, manager client.APIClient) (time.Duration, error) {
	sw, err := manager.SwarmInspect(ctx)
	if err != nil {
		return 0, fmt.Errorf("swarm inspect: %w", err)
	}
	return sw.Spec.Dispatcher.HeartbeatPeriod, nil
}

// SetHeartbeat changes the swarm's dispatcher heartbeat period, keeping
// the rest of its spec: the engine takes an update as the whole spec, so
// it is read first and sent back with this one change, under the version
// read. A concurrent change of the spec makes the update out of sequence;
// it is read and tried again.
func SetHeartbeat(ctx context.Context, manager client.APIClient, period time.Duration) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var sw swarm.Swarm
		if sw, err = manager.SwarmInspect(ctx); err != nil {
			return fmt.Errorf("swarm inspect: %w", err)
		}
		if sw.Spec.Dispatcher.HeartbeatPeriod == period {
			return nil
		}
		spec := sw.Spec
		spec.Dispatcher.HeartbeatPeriod = period
		if err = manager.SwarmUpdate(ctx, sw.Version, spec, swarm.UpdateFlags{}); err == nil {
			return nil
		}
		if serr := poll.Sleep(ctx, 200*time.Millisecond); serr != nil {
			return serr
		}
	}
	return fmt.Errorf("swarm update (dispatcher heartbeat %s): %w", period, err)
}
