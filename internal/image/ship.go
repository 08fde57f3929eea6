package image

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/docker/client"
)

// Ship copies images from the local engine to a host's engine (save, then
// load over the host's SSH connection), skipping those the host has. This
// is how images reach nodes that cannot pull: no registry involved. All
// missing tags go in one save, so layers they share (the Debian base under
// every recipe) cross the wire once. It returns the tags it loaded.
func Ship(ctx context.Context, local *client.Client, remote client.APIClient, tags ...string) ([]string, error) {
	var missing []string
	for _, tag := range tags {
		if _, err := remote.ImageInspect(ctx, tag); err != nil {
			missing = append(missing, tag)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	rc, err := local.ImageSave(ctx, missing)
	if err != nil {
		return nil, fmt.Errorf("save %v: %w", missing, err)
	}
	defer rc.Close()
	resp, err := remote.ImageLoad(ctx, rc, client.ImageLoadWithQuiet(true))
	if err != nil {
		return nil, fmt.Errorf("load %v: %w", missing, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return nil, fmt.Errorf("load %v: %w", missing, err)
	}
	for _, tag := range missing {
		if _, err := remote.ImageInspect(ctx, tag); err != nil {
			return nil, fmt.Errorf("load %s: the image is not there afterwards: %w", tag, err)
		}
	}
	return missing, nil
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
