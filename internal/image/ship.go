package image

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/docker/client"
)

// Ship copies an image from the local engine to a host's engine (save, then
// load over the host's SSH connection) unless the host has it already.
// This is how images reach nodes that cannot pull: no registry involved.
func Ship(ctx context.Context, local *client.Client, remote client.APIClient, tag string) (bool, error) {
	if _, err := remote.ImageInspect(ctx, tag); err == nil {
		return false, nil
	}
	rc, err := local.ImageSave(ctx, []string{tag})
	if err != nil {
		return false, fmt.Errorf("save %s: %w", tag, err)
	}
	defer rc.Close()
	resp, err := remote.ImageLoad(ctx, rc, client.ImageLoadWithQuiet(true))
	if err != nil {
		return false, fmt.Errorf("load %s: %w", tag, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return false, fmt.Errorf("load %s: %w", tag, err)
	}
	if _, err := remote.ImageInspect(ctx, tag); err != nil {
		return false, fmt.Errorf("load %s: the image is not there afterwards: %w", tag, err)
	}
	return true, nil
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
