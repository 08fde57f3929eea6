package cli

import (
	"context"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/bench"
)

func newBenchStorageCommand() *cobra.Command {
	o := bench.StorageOptions{}
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Time the shared volume against local disk, and its I/O stall with a frozen node, stock vs skep's options",
		Long: `storage brings up a lab of its own with the swarm and the shared GlusterFS
volume, then on node1 times a sequential write (fsync) and read (caches
dropped) and small-file creates on the volume and on the node's local disk.
It then freezes node3 and times a write on node1 and a read on node2, first
with skep's volume options and then with GlusterFS's stock ones, and prints
each figure beside its baseline with the ratio.`,
		Example: `  skep lab bench storage
  skep lab bench storage --mib 64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, "skep storage benchmark (GlusterFS replica 3)", func(ctx context.Context, cli *client.Client, logf func(string, ...any)) ([]bench.Row, error) {
				o.Logf = logf
				return bench.Storage(ctx, cli, o)
			})
		},
	}
	cmd.Flags().StringVar(&o.Lab, "name", "bench-storage", "name of the throwaway lab")
	cmd.Flags().IntVar(&o.MiB, "mib", 128, "size of the sequential file in MiB")
	return cmd
}
