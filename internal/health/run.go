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

// selfName is this node's swarm host name: from the task's environment
// (swarm fills it in), else from the engine.
func selfName(ctx context.Context, cli client.SystemAPIClient) (string, error) {
	if n := os.Getenv(HostnameEnv); n != "" {
		return n, nil
	}
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := cli.Info(ictx)
	if err != nil || info.Name == "" {
		return "", fmt.Errorf("this node's host name: %s is not set and the engine did not tell (%v)", HostnameEnv, err)
	}
	return info.Name, nil
}
