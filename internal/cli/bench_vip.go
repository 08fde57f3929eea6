package cli

import (
	"context"
	"errors"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/bench"
)

func newBenchVIPCommand() *cobra.Command {
	o := bench.VIPOptions{}
	cmd := &cobra.Command{
		Use:   "vip",
		Short: "Time the VIP's outage when its holder is killed or frozen, stock keepalived vs skep's settings",
		Long: `vip brings up a lab of its own with the swarm and the VIP, then kills and
freezes the VIP's holder, first with stock keepalived timing (VRRPv2, adverts
every second) and then with skep's (VRRPv3, 100ms adverts), probing the
swarm manager (TLS on 2377) through the VIP every 20ms from this machine. It
prints the outage (last good answer to first good answer) of each beside the
stock figure and the ratio.`,
		Example: `  skep lab bench vip
  skep lab bench vip --trials 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Trials < 1 || o.Trials > 9 {
				return badInput(errors.New("--trials must be 1..9: each trial kills or freezes a node"), "")
			}
			return runBench(cmd, "skep VIP failover benchmark", func(ctx context.Context, cli *client.Client, logf func(string, ...any)) ([]bench.Row, error) {
				o.Logf = logf
				return bench.VIP(ctx, cli, o)
			})
		},
	}
	cmd.Flags().StringVar(&o.Lab, "name", "bench-vip", "name of the throwaway lab")
	cmd.Flags().IntVar(&o.Trials, "trials", 3, "measurements per fault and setting (1..9)")
	return cmd
}
