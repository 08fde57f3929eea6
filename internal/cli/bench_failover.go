package cli

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/bench"
)

func newBenchFailoverCommand() *cobra.Command {
	o := bench.FailoverOptions{}
	var cells, output string
	cmd := &cobra.Command{
		Use:   "failover",
		Short: "Run the fault matrix (kill, freeze, partition x leader, VIP holder, app node) with stock settings and skep's, side by side",
		Long: `failover brings up a lab of its own, builds the stateful example (a counter
keeping its count on the shared volume) and loads it into every node, then runs
the fault matrix twice: first with stock settings (keepalived's 1 s adverts,
and the app free to run on the swarm leader, as docker would place it), then
with skep's. Each cell starts from a healthy lab; while the app is asked every
100ms through the VIP over HTTPS (the certificate checked against the lab's
CA) and a healthy manager writes a small synced file to the shared volume
every 100ms, the fault hits the node of the cell's kind, chosen just before:

  leader   the swarm's raft leader
  vip      the VIP's holder
  app      the node running the app's one task

Per cell it prints, skep beside stock with the ratio:
  VIP outage                longest time the VIP did not answer (a manager's TLS on 2377)
  HTTPS outage              longest gap between the app's 200s through the VIP
  storage write stall       slowest write on the healthy manager
  moved task running        fault to the app's task running on another node
                            (only when the app's node was hit)
  healthy after restore     node started, thawed or healed, to skep status healthy,
                            without apply
  acknowledged writes lost  a count the app answered that a later answer did
                            not go past
  partitioned node wrote    (partition only) whether the cut-off node could still
                            write to the shared volume: it must not (client quorum)

The whole matrix takes about half an hour on 2 cores; --cells runs some of it.
Traffic stays on the lab.`,
		Example: `  skep lab bench failover
  skep lab bench failover --cells kill:leader,pause:vip,partition:app
  skep lab bench failover --output json > failover.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cells != "" {
				for _, s := range strings.Split(cells, ",") {
					c, err := bench.ParseCell(strings.TrimSpace(s))
					if err != nil {
						return badInput(err, "")
					}
					o.Cells = append(o.Cells, c)
				}
			}
			if _, err := outputFormat(output, nil, nil); err != nil {
				return err
			}
			return runBenchOutput(cmd, output, "skep failover benchmark (skep vs stock settings)", func(ctx context.Context, cli *client.Client, logf func(string, ...any)) (any, []bench.Row, error) {
				o.Logf = logf
				res, err := bench.Failover(ctx, cli, o)
				return res, bench.FailoverRows(res), err
			})
		},
	}
	cmd.Flags().StringVar(&o.Lab, "name", "bench-failover", "name of the throwaway lab")
	cmd.Flags().StringVar(&o.Example, "example", "examples/counter", "directory of the stateful app: its Go program, Dockerfile and compose.yaml")
	cmd.Flags().StringVar(&cells, "cells", "", "comma-separated FAULT:TARGET cells (FAULT kill, pause or partition; TARGET leader, vip or app); default all nine")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json (the raw figures, durations in nanoseconds)")
	return cmd
}

// runBenchOutput is runBench for a benchmark that also has a JSON form:
// with --output json, stdout is one JSON document of its raw result.
func runBenchOutput(cmd *cobra.Command, output, title string, run func(ctx context.Context, cli *client.Client, logf func(string, ...any)) (any, []bench.Row, error)) error {
	cli, err := dockerClient()
	if err != nil {
		return err
	}
	defer cli.Close()
	p := newProgress(cmd.ErrOrStderr())
	raw, rows, err := run(cmd.Context(), cli, p.logf)
	if err != nil {
		return err
	}
	if output == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(raw)
	}
	bench.Print(cmd.OutOrStdout(), title, rows)
	return nil
}
