package image

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker/docker/client"
)

// Ship copies images from the local engine to a host's engine (save, then
// load over the host's SSH connection), skipping those the host has. This
// is how images reach nodes that cannot pull: no registry involved. All
// missing tags go in one save, so layers they share (the Debian base under
// every recipe) cross the wire once. It returns the tags it loaded.
func Ship(ctx context.Context, local, remote client.ImageAPIClient, tags ...string) ([]string, error) {
	l, err := ShipLogged(ctx, local, remote, func(string, ...any) {}, tags...)
	return l.Tags, err
}

// Loaded is what one Ship moved to a host.
type Loaded struct {
	Tags []string
	// IDs are the IDs the host gives the loaded tags. They are the local
	// IDs unless the two engines store images differently (the containerd
	// image store names an image by its manifest, the classic one by its
	// config).
	IDs     map[string]string
	Bytes   int64 // the size of the save, as sent
	Elapsed time.Duration
}

// String is the progress line's account of a load: "loaded skep-x:1 (182
// MB) in 12.3s".
func (l Loaded) String() string {
	return fmt.Sprintf("loaded %s (%s) in %s", strings.Join(l.Tags, ", "), humanBytes(l.Bytes), seconds(l.Elapsed))
}

// ShipLogged is Ship, saying every heartbeat how much of a long load has
// been sent, and what it moved. A tag the host has under any ID counts as
// there: skep's recipes put a content hash in the tag.
func ShipLogged(ctx context.Context, local, remote client.ImageAPIClient, logf func(string, ...any), tags ...string) (Loaded, error) {
	var missing []string
	for _, tag := range tags {
		if _, err := remote.ImageInspect(ctx, tag); err != nil {
			missing = append(missing, tag)
		}
	}
	return load(ctx, local, remote, logf, missing)
}

// load saves tags from the local engine and loads them into remote in one
// stream, then checks that each is there. Ship and Push both move images
// through it; they differ only in how they decide what the host lacks.
func load(ctx context.Context, local, remote client.ImageAPIClient, logf func(string, ...any), tags []string) (Loaded, error) {
	if len(tags) == 0 {
		return Loaded{}, nil
	}
	start := time.Now()
	rc, err := local.ImageSave(ctx, tags)
	if err != nil {
		return Loaded{}, fmt.Errorf("save %v: %w", tags, err)
	}
	defer rc.Close()
	sent := &countingReader{r: rc}
	stop := heartbeat(func(elapsed time.Duration) {
		logf("loading %s: %s sent, %s", strings.Join(tags, ", "), humanBytes(sent.n.Load()), elapsed)
	})
	defer stop()
	resp, err := remote.ImageLoad(ctx, sent, client.ImageLoadWithQuiet(true))
	if err != nil {
		return Loaded{}, fmt.Errorf("load %v: %w", tags, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return Loaded{}, fmt.Errorf("load %v: %w", tags, err)
	}
	stop()
	ids := make(map[string]string, len(tags))
	for _, tag := range tags {
		got, err := remote.ImageInspect(ctx, tag)
		if err != nil {
			return Loaded{}, fmt.Errorf("load %s: the image is not there afterwards: %w", tag, err)
		}
		ids[tag] = got.ID
	}
	return Loaded{Tags: tags, IDs: ids, Bytes: sent.n.Load(), Elapsed: time.Since(start)}, nil
}

// countingReader counts what has been read through it, for progress lines
// read by another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Local connects to the Docker engine of the machine running skep, where
// images are built.
func Local() (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("local Docker engine: %w", err)
	}
	return cli, nil
}
