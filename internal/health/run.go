package health

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/docker/docker/client"

	"skep/internal/poll"
)

// RunProber probes every node each Interval until ctx ends, writing this
// manager's view to dir after every round. It runs inside the leader
// agent, on every manager: each manager probes, so status can ask a
// majority. A failed write is logged (each new error once) and tried
// again next round; the prober never exits on its own.
func RunProber(ctx context.Context, dir string, logf func(string, ...any)) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	self, err := selfName(ctx, cli)
	if err != nil {
		return err
	}
	httpc := NewAskClient()
	ask := func(ctx context.Context, addr string) (Answer, error) { return Ask(ctx, httpc, addr) }
	p := NewProber(self, net.DefaultResolver, ask, cli, logf)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("view directory: %w", err)
	}
	logf("probing every node's %s on tasks.%s:%d every %s; view in %s", PingPath, ProbeService, ProbePort, Interval, dir)
	for {
		start := time.Now()
		v, ok := p.Tick(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if !ok {
			continue
		}
		if err := WriteView(dir, v); err != nil {
			p.say("%v", err)
		}
		if err := poll.Sleep(ctx, Interval-time.Since(start)); err != nil {
			return nil
		}
	}
}

// selfName is this node's swarm host name, which names its view file:
// the engine's name for its host, which is what swarm lists the node as.
func selfName(ctx context.Context, cli client.SystemAPIClient) (string, error) {
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := cli.Info(ictx)
	if err != nil {
		return "", fmt.Errorf("ask the engine this node's host name: %w", err)
	}
	if info.Name == "" {
		return "", fmt.Errorf("the engine told no host name")
	}
	return info.Name, nil
}
