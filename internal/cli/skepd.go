package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"skep/internal/controller"
)

// NewSkepdCommand runs the in-cluster controller. It is hidden: apply ships
// this very binary as the controller's image and starts it with `skep
// skepd FLAGS`, so the controller is always the version of skep that
// deployed it.
func NewSkepdCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "skepd [FLAGS]",
		Short:              "Run skep's in-cluster controller (started by apply as a swarm service)",
		Hidden:             true,
		DisableFlagParsing: true, // the controller parses its own flags
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := controller.Main(cmd.Context(), args); code != 0 {
				return fmt.Errorf("skepd exited with status %d", code)
			}
			return nil
		},
	}
}
