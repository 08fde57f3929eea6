package bench

import (
	"context"
	"fmt"

	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/lab"
)

// ownLab brings up a lab of the benchmark's own and applies to it the part
// of the lab's cluster file that narrow keeps (nil keeps it all: a
// benchmark builds only what changes its figures). An existing lab of that
// name is refused, since benchmarks break their lab on purpose. The lab is
// removed when the benchmark ends, whatever happened, so defer lab.Down
// before calling this.
func ownLab(ctx context.Context, cli *client.Client, name string, logf func(string, ...any), narrow func(full *config.Cluster) *config.Cluster) (*lab.Lab, *config.Cluster, error) {
	if _, err := lab.Load(name); err == nil {
		return nil, nil, fmt.Errorf("lab %s exists; the benchmark needs its own lab (choose another --name or run skep lab down --name %s)", name, name)
	}
	l, err := lab.Up(ctx, cli, lab.UpOptions{Name: name, Nodes: 3, Logf: logf})
	if err != nil {
		return nil, nil, err
	}
	c, err := config.Load(l.ClusterFile)
	if err != nil {
		return nil, nil, err
	}
	if narrow != nil {
		c = narrow(c)
	}
	logf("applying the lab's cluster file")
	_, err = apply.Run(ctx, apply.Options{Cluster: c, Wet: true, Logf: func(h, f string, a ...any) {
		if h != "" {
			f = h + ": " + f
		}
		logf(f, a...)
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("apply: %w", err)
	}
	return l, c, nil
}
