package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"skep/internal/apply"
	"skep/internal/status"
)

type statusOptions struct {
	src    clusterSource
	output string
}

// NewStatusCommand shows the cluster's health on one screen.
func NewStatusCommand(g *globals) *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the cluster's health: nodes, roles, leader, quorum",
		Long: `status reads every host (never changing anything) and shows one screen of
health. It exits 0 when the cluster is healthy, 1 when it is not, 2 on bad
input. Only real faults are problems (a host not reachable, a container not
running, a brick offline, a mount not answering, entries to heal, ...); what a
host did not answer in time is listed under "not known" and does not make the
cluster unhealthy. A host that cannot be reached is shown as down with the
reason; status answers within about 3 seconds, even with a dead or frozen host.

Besides the nodes and the swarm's quorum, status judges each component the
cluster file declares, and only those: storage (the GlusterFS containers,
bricks, heal and the mounts on every host, skep's own volume included), vip
(which manager holds the address), ingress (Traefik answering on every
manager) and certificates (the controller's ACME certificates). apply ends by
waiting for the same judgement.

App stacks are shown when any exists: a line per stack, and one per service
not running all the tasks it wants. A service still short of them a minute
after its last update is a problem; before that it is "starting". apply does
not wait for stacks: they are deployed apart from the cluster file.`,
		Example: `  skep status
  skep status -f cluster.yaml --output json | jq .healthy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.output != "text" && o.output != "json" {
				return badInput(fmt.Errorf("--output %q: use text or json", o.output), "")
			}
			c, err := o.src.load()
			if err != nil {
				return err
			}
			// Stacks are no component of the cluster file: status shows
			// them, apply's verification (which cannot fix them) does not.
			sections := append(apply.StatusSections(c), status.StacksSection)
			r := status.Collect(cmd.Context(), c, status.Options{Sections: sections})
			if o.output == "json" {
				err = r.WriteJSON(cmd.OutOrStdout())
			} else {
				err = r.WriteText(cmd.OutOrStdout())
			}
			if err != nil {
				return err
			}
			if !r.Healthy {
				return silentFailure{}
			}
			return nil
		},
	}
	o.src.addFlags(cmd)
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json")
	return cmd
}
