package cli

import (
	"context"
	"errors"
	"time"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/bench"
)

func newBenchIdleCommand() *cobra.Command {
	o := bench.IdleOptions{}
	cmd := &cobra.Command{
		Use:   "idle",
		Short: "Measure what a healthy, idle lab costs this machine (CPU busy, new processes a second)",
		Long: `idle measures the machine for a window without a lab, then brings up a lab of
its own with the full cluster file, waits until status says healthy and the
lab has settled, and measures again: CPU busy over all cores and new
processes a second (from /proc/stat), and the lab node containers' own share
(their cgroups). It measures once more with keepalived paused on every node,
which shows what the VIP costs. With --existing it measures the named lab in
place instead, changing nothing.`,
		Example: `  skep lab bench idle
  skep lab bench idle --existing --name skep --window 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Window < 5*time.Second || o.Window > 10*time.Minute {
				return badInput(errors.New("--window must be 5s..10m"), "")
			}
			return runBench(cmd, "skep idle cost benchmark", func(ctx context.Context, cli *client.Client, logf func(string, ...any)) ([]bench.Row, error) {
				o.Logf = logf
				return bench.Idle(ctx, cli, o)
			})
		},
	}
	cmd.Flags().StringVar(&o.Lab, "name", "bench-idle", "name of the throwaway lab (with --existing: the lab to measure)")
	cmd.Flags().DurationVar(&o.Window, "window", 30*time.Second, "how long each measurement lasts")
	cmd.Flags().BoolVar(&o.Existing, "existing", false, "measure the lab --name as it is, in place")
	return cmd
}
