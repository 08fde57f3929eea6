package cli

import (
	"context"
	"errors"
	"time"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/bench"
)

func newBenchIngressCommand() *cobra.Command {
	o := bench.IngressOptions{}
	cmd := &cobra.Command{
		Use:   "ingress",
		Short: "Time a labelled service's first HTTPS 200, and load through Traefik vs straight to the backend",
		Long: `ingress brings up a lab of its own with Traefik, creates a whoami service with
Traefik labels and times its first HTTPS 200 through Traefik against its first
200 straight from its container. Then it runs a bounded load (--clients for
--duration) through Traefik and straight to the same container, and prints
requests/s and latency percentiles side by side. Traffic stays on the lab.`,
		Example: `  skep lab bench ingress
  skep lab bench ingress --clients 4 --duration 5s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Clients < 1 || o.Clients > 64 || o.Duration <= 0 || o.Duration > time.Minute {
				return badInput(errors.New("--clients must be 1..64 and --duration at most 1m: the load stays bounded"), "")
			}
			return runBench(cmd, "skep ingress benchmark", func(ctx context.Context, cli *client.Client, logf func(string, ...any)) ([]bench.Row, error) {
				o.Logf = logf
				return bench.Ingress(ctx, cli, o)
			})
		},
	}
	cmd.Flags().StringVar(&o.Lab, "name", "bench-ing", "name of the throwaway lab")
	cmd.Flags().IntVar(&o.Clients, "clients", 8, "concurrent clients of the load (1..64)")
	cmd.Flags().DurationVar(&o.Duration, "duration", 10*time.Second, "length of each load run (at most 1m)")
	return cmd
}
