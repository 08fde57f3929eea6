package cli

import (
	"context"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/bench"
)

// newLabBenchCommand groups the benchmarks; each measures on a lab of its
// own and prints figures with their ratio against a same-run baseline.
func newLabBenchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure skep on a throwaway lab and print figures with ratios",
		Long: `bench runs a measurement on a lab of its own (removed afterwards) and prints
each figure beside the baseline measured in the same run. Traffic goes only to
the lab's containers.`,
		Example: "  skep lab bench apply",
	}
	cmd.AddCommand(newBenchApplyCommand())
	cmd.AddCommand(newBenchIngressCommand())
	cmd.AddCommand(newBenchVIPCommand())
	cmd.AddCommand(newBenchStorageCommand())
	cmd.AddCommand(newBenchIdleCommand())
	cmd.AddCommand(newBenchStackCommand())
	cmd.AddCommand(newBenchFailoverCommand())
	return cmd
}

func newBenchApplyCommand() *cobra.Command {
	o := bench.FoundationOptions{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Time lab up (image cold and cached), the first apply and a no-op second apply",
		Example: `  skep lab bench apply            # builds the images from scratch first
  skep lab bench apply --cold=false`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, "skep apply benchmark", func(ctx context.Context, cli *client.Client, logf func(string, ...any)) ([]bench.Row, error) {
				o.Logf = logf
				return bench.Foundation(ctx, cli, o)
			})
		},
	}
	cmd.Flags().StringVar(&o.Lab, "name", "bench", "name of the throwaway lab")
	cmd.Flags().BoolVar(&o.Cold, "cold", true, "remove the cached base and node images first, to time a build from scratch")
	return cmd
}

// runBench runs one benchmark against the local engine with progress lines
// on stderr and prints its table on stdout.
func runBench(cmd *cobra.Command, title string, run func(ctx context.Context, cli *client.Client, logf func(string, ...any)) ([]bench.Row, error)) error {
	cli, err := dockerClient()
	if err != nil {
		return err
	}
	defer cli.Close()
	p := newProgress(cmd.ErrOrStderr())
	rows, err := run(cmd.Context(), cli, p.logf)
	if err != nil {
		return err
	}
	bench.Print(cmd.OutOrStdout(), title, rows)
	return nil
}
