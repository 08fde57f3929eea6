package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/stack"
)

// stackReadOptions are the options of the stack commands that read.
type stackReadOptions struct {
	src    clusterSource
	output string
}

func (o *stackReadOptions) addFlags(cmd *cobra.Command, jsonSays string) {
	o.src.addFlags(cmd)
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json ("+jsonSays+")")
}

// onManager runs do against the first manager of the cluster that answers.
func onManager(ctx context.Context, src *clusterSource, do func(mgr client.APIClient) error) error {
	c, err := src.load()
	if err != nil {
		return err
	}
	h, mgr, err := reachManager(ctx, c)
	if err != nil {
		return err
	}
	defer h.Close()
	return do(mgr)
}

func newStackLsCommand(g *globals) *cobra.Command {
	o := &stackReadOptions{}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the stacks and how many services each has",
		Long: `ls lists the stacks of the cluster's swarm, as docker stack ls does: every
stack with at least one service, whoever deployed it. With --output json,
stdout is [{"name", "services"}], an empty array when there is no stack.`,
		Example: `  skep stack ls
  skep stack ls --lab skep
  skep stack ls -o json | jq -r '.[].name'`,
		Args: stackArgs("no argument", 0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := outputFormat(o.output, nil, nil); err != nil {
				return err
			}
			return onManager(cmd.Context(), &o.src, func(mgr client.APIClient) error {
				list, err := stack.List(cmd.Context(), mgr)
				if err != nil {
					return err
				}
				if o.output == "json" {
					return writeJSON(cmd.OutOrStdout(), list)
				}
				return writeStackList(cmd.OutOrStdout(), list)
			})
		},
	}
	o.addFlags(cmd, "an array of stacks")
	return cmd
}

// writeStackList is docker stack ls's table.
func writeStackList(w io.Writer, list []stack.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSERVICES")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%d\n", s.Name, s.Services)
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
