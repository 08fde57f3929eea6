package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/lab"
	"skep/internal/tuning"
)

type applyOptions struct {
	src               clusterSource
	acceptNewHostKeys bool
	output            string
	removeData        bool
	yes               bool
}

// NewApplyCommand converges the hosts to the cluster file.
func NewApplyCommand(g *globals) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Converge the hosts to the cluster file (safe to run again)",
		Long: `apply validates the cluster file, connects to every host over SSH, gathers
facts, runs preflight checks, and only then changes what differs from the file,
component by component, in this order:

  host      the Docker engine and its settings (installed on Debian/Ubuntu)
  swarm     init, joins one at a time, roles, node labels; hosts dropped from
            the file are drained and removed
  storage   a GlusterFS container on each brick host, the replicated volume,
            its mount on every host, and skep's own volume on the managers
  vip       keepalived on every manager, moving the virtual IP
  ingress   Traefik on every manager on 80/443, behind a read-only socket proxy
  health    skep-node-probe on every node, answering the managers' probes on the
            network skep-health once its engine answers
  placement skep-leader-agent on every manager: the node label skep.leader on
            the swarm leader, which the controller and single-replica app
            services avoid, so a leader's death does not stop them; it also
            probes every node each second, for status
  acme      the controller, getting certificates from the ACME CA

Images are built on this machine and loaded into every host that lacks them in
one images phase, before the components start. A section removed from the file
removes its component (services, containers, networks, configs) on the next
apply; its data (bricks, the volume's files, the ACME account) stays unless
--remove-data is given. apply ends only when status finds every declared
component healthy.

A second apply on a converged cluster changes nothing. An apply that was
interrupted resumes where it stopped when run again. A lock on the first
manager refuses a second apply running at the same time.`,
		Example: `  skep apply -f cluster.yaml
  skep apply -f cluster.yaml --accept-new-host-keys   # first contact: trust and record host keys
  skep apply                                          # the lab's cluster file
  skep apply --remove-data                            # also delete removed sections' data (asks first)
  skep apply --output json | jq -r '.steps[].action'  # the steps run, as JSON`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.src.load()
			if err != nil {
				return err
			}
			if o.removeData {
				if err := confirmRemoveData(cmd.InOrStdin(), cmd.ErrOrStderr(), isTerminal(os.Stdin), c.Name, o.yes); err != nil {
					return err
				}
			}
			return runApply(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), c, o, g.verbose, true)
		},
	}
	o.src.addFlags(cmd)
	cmd.Flags().BoolVar(&o.acceptNewHostKeys, "accept-new-host-keys", false, "trust hosts whose key is not in known_hosts yet and record it (a changed key is always refused)")
	cmd.Flags().BoolVar(&o.removeData, "remove-data", false, "also delete the data of sections removed from the cluster file: GlusterFS volumes and bricks, the controller's ACME state (asks for the cluster's name)")
	cmd.Flags().BoolVar(&o.yes, "yes", false, "confirm --remove-data without being asked")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json (the steps run; progress lines then go to stderr)")
	return cmd
}

// NewPlanCommand shows what apply would change, changing nothing.
func NewPlanCommand(g *globals) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change, host by host, changing nothing",
		Long: `plan runs the same code as apply with the gate closed: it connects, gathers
facts and prints each change apply would make, with the reason. It changes
nothing on any host. It also lists the timings skep sets on purpose (the
tuning section of the cluster file, and vip.advert_interval): each value in
effect, the component's stock value and what it gains and trades away. With --remove-data it also shows the data apply
--remove-data would delete for sections removed from the cluster file.`,
		Example: `  skep plan -f cluster.yaml
  skep plan --output json | jq '.steps | length'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.src.load()
			if err != nil {
				return err
			}
			return runApply(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), c, o, g.verbose, false)
		},
	}
	o.src.addFlags(cmd)
	cmd.Flags().BoolVar(&o.acceptNewHostKeys, "accept-new-host-keys", false, "trust hosts whose key is not in known_hosts yet and record it")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json (the steps; progress lines then go to stderr)")
	cmd.Flags().BoolVar(&o.removeData, "remove-data", false, "plan as apply --remove-data: also show the data of removed sections that would be deleted")
	return cmd
}

// secretDir is where apply leaves a secret for the operator (the Traefik
// API password), one 0600 file each: under skep's own state directory, not
// beside the cluster file, which may well be in version control.
func secretDir(c *config.Cluster) string {
	return filepath.Join(lab.Home(), "clusters", c.Name)
}

func runApply(ctx context.Context, out, errOut io.Writer, c *config.Cluster, o *applyOptions, verbose, wet bool) error {
	logw, err := outputFormat(o.output, out, errOut)
	if err != nil {
		return err
	}
	p := newProgress(logw)
	res, err := apply.Run(ctx, apply.Options{Cluster: c, Wet: wet, AcceptNewHostKeys: o.acceptNewHostKeys, Verbose: verbose, Logf: p.hostf,
		SecretDir: secretDir(c), RemoveData: o.removeData})
	if err != nil {
		return err
	}
	// plan says, once, which timings skep sets on purpose and why; apply
	// sets them without repeating it.
	var tuned []tuning.Setting
	if !wet {
		tuned = tuning.Of(c)
	}
	if o.output == "json" {
		return writeApplyJSON(out, c.Name, res, wet, tuned)
	}
	writeTuning(out, tuned)
	switch {
	case len(res.Steps) == 0:
		fmt.Fprintf(out, "nothing to do: the cluster matches %s (%.1fs)\n", c.Path, res.Elapsed.Seconds())
	case wet:
		fmt.Fprintf(out, "applied %d change(s) in %.1fs\n", len(res.Steps), res.Elapsed.Seconds())
	default:
		fmt.Fprintf(out, "plan: %d change(s); run skep apply to make them\n", len(res.Steps))
	}
	return nil
}

// writeTuning prints plan's tuning block: one line a setting, "tuning: NAME
// VALUE (stock X): reason".
func writeTuning(w io.Writer, tuned []tuning.Setting) {
	for _, s := range tuned {
		fmt.Fprintf(w, "tuning: %s\n", s)
	}
}
