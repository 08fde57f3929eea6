package lab

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
)

// Down removes every container, network and volume labelled with the lab's
// name, and its state directory; nothing else is touched.
func Down(ctx context.Context, cli *client.Client, name string, logf func(string, ...any)) error {
	if err := ValidName(name); err != nil {
		return err
	}
	byLab := filters.NewArgs(filters.Arg("label", labLabel+"="+name))
	var errs []error
	ctrs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: byLab})
	if err != nil {
		return err
	}
	for _, c := range ctrs {
		logf("removing container %s", trimSlash(c.Names))
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, err)
		}
	}
	nets, err := cli.NetworkList(ctx, network.ListOptions{Filters: byLab})
	if err != nil {
		return err
	}
	for _, n := range nets {
		logf("removing network %s", n.Name)
		if err := cli.NetworkRemove(ctx, n.ID); err != nil {
			errs = append(errs, err)
		}
	}
	vols, err := cli.VolumeList(ctx, volume.ListOptions{Filters: byLab})
	if err != nil {
		return err
	}
	for _, v := range vols.Volumes {
		if err := cli.VolumeRemove(ctx, v.Name, true); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(stateDir(name)); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("lab %s: removal incomplete: %w", name, errors.Join(errs...))
	}
	return nil
}

func trimSlash(names []string) string {
	if len(names) == 0 {
		return ""
	}
	n := names[0]
	if len(n) > 0 && n[0] == '/' {
		return n[1:]
	}
	return n
}
