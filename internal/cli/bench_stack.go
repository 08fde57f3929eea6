package cli

import (
	"context"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/bench"
)

func newBenchStackCommand() *cobra.Command {
	o := bench.StackOptions{}
	cmd := &cobra.Command{
		Use:   "stack",
		Short: "Time an app's deploy to its first HTTPS 200, skep vs docker stack deploy, and its outage when its node is killed",
		Long: `stack brings up a lab of its own with the whole cluster file, builds the example
app on this machine (a static Go binary and the example's Dockerfile) and
loads it into every node as skep image push does. Then, with the example's
compose.yaml:

  skep     skep stack deploy as stack bskep (` + bench.HostVar + `=bskep.bench.lab), timed
           from the start of the deploy to the first HTTPS 200 through the VIP,
           the certificate checked against the lab's CA
  docker   the same file, changed only as docker needs on a skep cluster (the
           routed service joins skep-public, and endpoint_mode dnsrr where the
           kernel lacks IPVS; the note says which), copied to a manager and
           deployed there with docker stack deploy --resolve-image never as
           stack bdocker, timed the same way
  outage   each stack's node is killed while the app is asked every 100ms
           through the VIP; the longest gap between 200s is printed, and
           whether the count went on (skep keeps the volume on the shared
           storage; docker keeps it on the node's disk). The node is started
           again afterwards.

The two stacks never run at once: Traefik router names are shared by every
stack on the cluster. Traffic stays on the lab.`,
		Example: `  skep lab bench stack
  skep lab bench stack --name bench-stack2 --example examples/counter`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, "skep stack benchmark", func(ctx context.Context, cli *client.Client, logf func(string, ...any)) ([]bench.Row, error) {
				o.Logf = logf
				return bench.Stack(ctx, cli, o)
			})
		},
	}
	cmd.Flags().StringVar(&o.Lab, "name", "bench-stack", "name of the throwaway lab")
	cmd.Flags().StringVar(&o.Example, "example", "examples/counter", "directory of the app: its Go program, Dockerfile and compose.yaml")
	return cmd
}
