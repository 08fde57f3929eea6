package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"skep/internal/config"
)

// NewInitCommand prints a commented example cluster file.
func NewInitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Print a commented example cluster file",
		Long:  "init prints a cluster file for three machines, every field explained. Save it, put in your machines' addresses, then run skep plan.",
		Example: `  skep init > cluster.yaml
  $EDITOR cluster.yaml
  skep plan -f cluster.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), config.Example())
			return err
		},
	}
}
