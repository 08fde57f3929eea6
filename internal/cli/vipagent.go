package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"skep/internal/vip"
)

// NewVIPAgentCommand runs keepalived under skep's agent. It is hidden: it is
// the entrypoint of the skep-keepalived container, which apply builds from
// this very binary on top of Debian's keepalived.
func NewVIPAgentCommand() *cobra.Command {
	var kind, target string
	cmd := &cobra.Command{
		Use:   "vip-agent --check http|docker --target URL|SOCKET",
		Short: "Run keepalived and check the service the VIP tracks (the entrypoint of skep-keepalived)",
		Long: `vip-agent starts keepalived as its child (passing SIGHUP and SIGTERM on, and
exiting when it exits), checks the tracked service every quarter second over
one kept-alive connection, and writes the result to the file keepalived
tracks; keepalived's state changes, read from its notify FIFO, set the master
bonus file. keepalived itself runs no script.`,
		Example: `  skep vip-agent --check http --target http://127.0.0.1:8082/ping
  skep vip-agent --check docker --target /var/run/docker.sock`,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			check, err := vip.ParseCheck(kind, target)
			if err != nil {
				return badInput(err, "see skep vip-agent --help")
			}
			return vip.RunAgent(cmd.Context(), vip.AgentOptions{Check: check, Logf: func(f string, a ...any) {
				fmt.Fprintf(os.Stderr, "skep vip-agent: "+f+"\n", a...)
			}})
		},
	}
	cmd.Flags().StringVar(&kind, "check", "", `what to check: "http" (GET the target URL) or "docker" (the engine's /_ping on the target socket)`)
	cmd.Flags().StringVar(&target, "target", "", "the URL or socket checked")
	return cmd
}
