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
		Short: "Count the VIP's moves under load and time its outage when its holder is killed or frozen, stock keepalived vs skep's settings",
		Long: `vip brings up a lab of its own with the swarm, the VIP and Traefik. With stock
keepalived timing (VRRPv2, adverts every second) and then with skep's (VRRPv3,
100ms adverts), it first puts the lab under load, twice: two busy loops on
every node, then skep status in a loop; meanwhile it sends 200 HTTPS requests
to Traefik through the VIP and afterwards counts the failed ones and the
"Entering MASTER STATE" lines every keepalived logged (a VIP that holds still
logs none). Then it kills and freezes the VIP's holder, probing the swarm
manager (TLS on 2377) through the VIP every 20ms from this machine, and prints
the outage (last good answer to first good answer). Each skep figure is
printed beside the stock one.`,
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
