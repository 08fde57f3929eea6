package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"skep/internal/health"
)

// NewNodeProbeCommand answers the managers' probes for this node. It is
// hidden: it is the entrypoint of the skep-node-probe service, which
// apply builds from this very binary and runs on every node.
func NewNodeProbeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "node-probe",
		Short: "Answer " + health.PingPath + " for this node once its engine answers (the entrypoint of " + health.ProbeService + ")",
		Long: `node-probe listens on port ` + fmt.Sprint(health.ProbePort) + ` inside its task, on the overlay network ` + health.Network + `.
To GET ` + health.PingPath + ` it asks its own engine for /_ping over the Docker socket
(within ` + health.EngineTimeout.String() + `) and answers 200 with its node's host name and ID, or
503 with the reason. It asks the engine nothing else. The node is named by
` + health.HostnameEnv + ` and ` + health.NodeIDEnv + `, which the service's spec sets from swarm's templates.`,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return health.Serve(cmd.Context(), os.Getenv(health.HostnameEnv), os.Getenv(health.NodeIDEnv), func(f string, a ...any) {
				fmt.Fprintf(os.Stderr, "skep node-probe: "+f+"\n", a...)
			})
		},
	}
}
