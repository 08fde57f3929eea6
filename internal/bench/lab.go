package bench

import (
	"context"
	"fmt"

	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/lab"
)

// claim takes the lab name for a benchmark. A lab of that name that exists
// is refused, since benchmarks break their lab on purpose; the function
// returned then does nothing, so the user's lab is never removed. Else it
// returns remove, which the caller defers: the lab goes when the benchmark
// ends, whatever happened, even when bringing it up failed halfway.
func claim(name string, remove func()) (release func(), err error) {
	if lab.Exists(name) {
		return func() {}, fmt.Errorf("lab %s exists; the benchmark needs its own lab (choose another --name or run skep lab down --name %s)", name, name)
	}
	return remove, nil
}

// claimLab is claim with the lab's removal through the local engine.
func claimLab(ctx context.Context, cli *client.Client, name string) (release func(), err error) {
	return claim(name, func() { lab.Down(context.WithoutCancel(ctx), cli, name, func(string, ...any) {}) })
}

// ownLab claims a lab of the benchmark's own (see claim), brings it up and
// applies to it the part of the lab's cluster file that narrow keeps (nil
// keeps it all: a benchmark builds only what changes its figures). The
// caller defers release at once, whatever the error: it removes the lab
// this call created, and nothing when the name was refused.
func ownLab(ctx context.Context, cli *client.Client, name string, logf func(string, ...any), narrow func(full *config.Cluster) *config.Cluster) (l *lab.Lab, c *config.Cluster, release func(), err error) {
	release, err = claimLab(ctx, cli, name)
	if err != nil {
		return nil, nil, release, err
	}
	l, err = lab.Up(ctx, cli, lab.UpOptions{Name: name, Nodes: 3, Logf: logf})
	if err != nil {
		return nil, nil, release, err
	}
	c, err = config.Load(l.ClusterFile)
	if err != nil {
		return nil, nil, release, err
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
		return nil, nil, release, fmt.Errorf("apply: %w", err)
	}
	return l, c, release, nil
}
