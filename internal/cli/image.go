package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/image"
)

// NewImageCommand groups what skep does with application images.
func NewImageCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Put images built on this machine on the cluster's nodes (no registry)",
		Long: `A skep cluster needs no registry: images are built or pulled on the machine
running skep, and image push loads them into every node's Docker engine over
the SSH connection skep already uses.`,
		Example: `  docker build -t myapp:1 . && skep image push myapp:1`,
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(newImagePushCommand(g))
	return cmd
}

type imagePushOptions struct {
	src    clusterSource
	output string
}

func newImagePushCommand(g *globals) *cobra.Command {
	o := &imagePushOptions{}
	cmd := &cobra.Command{
		Use:   "push IMAGE...",
		Short: "Load local images into every node that lacks them",
		Long: `push makes images of this machine's Docker engine present on every host of the
cluster file, so swarm services can run them without a registry. Each node
gets, in one stream (docker save, then docker load over SSH), the images whose
tag it lacks or has with another image ID; all nodes load at once. A node that
already has an image with the same ID is left alone, so pushing again is cheap.

A name without a tag means :latest. Every image must be in the local engine:
if one is missing, push says so and ships nothing.

Progress lines say per node what it had and what it loaded, with the size
sent. The last lines say per image which nodes got it and which had it. With
--output json, stdout is {"cluster": NAME, "images": [{"image", "id", "node",
"action"}]}, one entry per image per node, action "loaded" or "present", and
the progress lines go to stderr.`,
		Example: `  docker build -t myapp:1 . && skep image push myapp:1
  docker pull postgres:17 && skep image push postgres:17 myapp:1
  skep image push --lab demo myapp:1                     # the nodes of one lab
  skep image push -f cluster.yaml myapp:1 -o json | jq -r '.images[] | select(.action=="loaded") | .node'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImagePush(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, args)
		},
	}
	o.src.addFlags(cmd)
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json (per image and node what was done; progress lines then go to stderr)")
	return cmd
}

func runImagePush(ctx context.Context, out, errOut io.Writer, o *imagePushOptions, names []string) error {
	logw, err := outputFormat(o.output, out, errOut)
	if err != nil {
		return err
	}
	c, err := o.src.load()
	if err != nil {
		return err
	}
	local, err := image.Local()
	if err != nil {
		return err
	}
	defer local.Close()
	images, err := image.ResolveLocal(ctx, local, names...)
	if err != nil {
		return err
	}
	p := newProgress(logw)
	nodes, closeAll, connErr := host.Engines(ctx, c, 10*time.Second)
	defer closeAll()
	placed, pushErr := image.Push(ctx, local, images, nodes, p.hostf)
	if o.output == "json" {
		if placed == nil {
			placed = []image.Placed{}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"cluster": c.Name, "images": placed}); err != nil {
			return err
		}
	} else {
		for _, line := range pushSummary(images, placed, hostNames(c)) {
			fmt.Fprintln(out, line)
		}
	}
	return errors.Join(connErr, pushErr)
}

func hostNames(c *config.Cluster) []string {
	var names []string
	for _, h := range c.Hosts {
		names = append(names, h.Name)
	}
	return names
}

// pushSummary is one line per image: the nodes that loaded it, those that
// had it, and those that did not get it (their error follows).
func pushSummary(images []image.LocalImage, placed []image.Placed, hosts []string) []string {
	var lines []string
	for _, im := range images {
		done := map[string]string{}
		for _, p := range placed {
			if p.Image == im.Tag {
				done[p.Node] = p.Action
			}
		}
		var parts []string
		for _, group := range []struct{ action, label string }{
			{image.ActionLoaded, "loaded on"}, {image.ActionPresent, "present on"}, {"", "NOT on"},
		} {
			var on []string
			for _, h := range hosts {
				if done[h] == group.action {
					on = append(on, h)
				}
			}
			if len(on) > 0 {
				parts = append(parts, group.label+" "+strings.Join(on, ", "))
			}
		}
		lines = append(lines, fmt.Sprintf("%s (%s): %s", im.Tag, image.ShortID(im.ID), strings.Join(parts, "; ")))
	}
	return lines
}
