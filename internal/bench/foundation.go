package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	skimage "skep/internal/image"
	"skep/internal/lab"
)

// FoundationOptions configures the apply benchmark.
type FoundationOptions struct {
	Lab  string // name of the throwaway lab
	Cold bool   // remove the cached base and node images first
	Logf func(string, ...any)
}

// Foundation measures: lab up with the image built from scratch (cold) and
// with it cached, the first apply, and the second (no-op) apply, whose
// ratio to the first shows that converged clusters cost almost nothing.
func Foundation(ctx context.Context, cli *client.Client, o FoundationOptions) ([]Row, error) {
	release, err := claimLab(ctx, cli, o.Lab)
	defer release()
	if err != nil {
		return nil, err
	}
	var rows []Row
	if o.Cold {
		if err := removeImages(ctx, cli); err != nil {
			rows = append(rows, Row{"lab up, image cold", "not measured", err.Error()})
			o.Cold = false
		}
	}
	start := time.Now()
	l, err := lab.Up(ctx, cli, lab.UpOptions{Name: o.Lab, Nodes: 3, Logf: o.Logf})
	if err != nil {
		return nil, err
	}
	firstUp := time.Since(start)
	c, err := config.Load(l.ClusterFile)
	if err != nil {
		return nil, err
	}
	quiet := func(string, string, ...any) {}
	first, err := apply.Run(ctx, apply.Options{Cluster: c, Wet: true, Logf: quiet})
	if err != nil {
		return nil, fmt.Errorf("first apply: %w", err)
	}
	second, err := apply.Run(ctx, apply.Options{Cluster: c, Wet: true, Logf: quiet})
	if err != nil {
		return nil, fmt.Errorf("second apply: %w", err)
	}
	if len(second.Steps) != 0 {
		return nil, fmt.Errorf("second apply made %d changes; it must make none", len(second.Steps))
	}
	o.Logf("recreating the lab with the image cached")
	if err := lab.Down(ctx, cli, o.Lab, o.Logf); err != nil {
		return nil, err
	}
	start = time.Now()
	if _, err := lab.Up(ctx, cli, lab.UpOptions{Name: o.Lab, Nodes: 3, Logf: o.Logf}); err != nil {
		return nil, err
	}
	cachedUp := time.Since(start)

	label := "lab up (3 nodes, no apply), image cached"
	if o.Cold {
		rows = append(rows, Row{"lab up (3 nodes, no apply), image built from scratch", Secs(firstUp), ""})
	} else {
		label = "lab up (3 nodes, no apply), image cached, first run"
		rows = append(rows, Row{label, Secs(firstUp), ""})
		label = "lab up (3 nodes, no apply), image cached, again"
	}
	rows = append(rows,
		Row{label, Secs(cachedUp), ""},
		Row{fmt.Sprintf("first apply (%d changes)", len(first.Steps)), Secs(first.Elapsed), ""},
		Row{"second apply (0 changes)", Secs(second.Elapsed), "ratio to first " + Ratio(second.Elapsed, first.Elapsed) + " (target < 0.10)"},
	)
	return rows, nil
}

// removeImages drops the cached base and node images so the next lab up
// builds them from scratch.
func removeImages(ctx context.Context, cli *client.Client) error {
	node, err := skimage.Tag("node")
	if err != nil {
		return err
	}
	for _, tag := range []string{node, skimage.BaseTag()} {
		if _, err := cli.ImageInspect(ctx, tag); err != nil {
			continue
		}
		if _, err := cli.ImageRemove(ctx, tag, image.RemoveOptions{PruneChildren: true}); err != nil {
			return fmt.Errorf("cannot remove %s (in use by a lab?): %w", tag, err)
		}
	}
	return nil
}
