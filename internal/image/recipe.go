package image

import (
	"archive/tar"
	"bytes"
	"context"

	"github.com/docker/docker/client"
)

// Recipe is an image skep can make on the local engine without a registry.
// Tag is known without building, so a plan can name the image it would ship.
type Recipe interface {
	Tag() (string, error)
	Build(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error)
}

// Dockerfile is the recipe in images/NAME: a Dockerfile FROM the skep base.
type Dockerfile string

// Tag is skep-NAME:HASH of the recipe's files and the base.
func (d Dockerfile) Tag() (string, error) { return Tag(string(d)) }

// Build builds the base and the recipe when the engine lacks them.
func (d Dockerfile) Build(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error) {
	return Build(ctx, cli, string(d), logf)
}

// tarFile is one file of a build context made in memory.
type tarFile struct {
	name string
	mode int64
	data []byte
}

func contextTar(files ...tarFile) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	return &buf, tw.Close()
}
