package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"skep/internal/config"
	"skep/internal/rebalance"
)

type rebalanceOptions struct {
	src     clusterSource
	stack   string
	dryRun  bool
	timeout time.Duration
	output  string
}

// NewRebalanceCommand spreads replicated services over the nodes again.
func NewRebalanceCommand(g *globals) *cobra.Command {
	return rebalanceCommand(&rebalanceOptions{})
}

// rebalanceCommand parses into o, so that tests can read what it got.
func rebalanceCommand(o *rebalanceOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rebalance [--stack NAME] [--dry-run]",
		Short: "Spread replicated services evenly over the nodes again, without an outage",
		Long: `rebalance spreads each replicated service's tasks evenly over the nodes it may
run on again, one service at a time, without stopping any.

Why it is needed: swarm never moves a running task. When a node dies, swarm
starts its tasks on the other nodes; when the node comes back it stays empty,
because swarm only chooses a node when it starts a task. One node may then
carry most of a service, and the next failure there takes more with it.

What it does: a service is unbalanced when the eligible node running the most
of its tasks runs at least two more than the one running the fewest (say 2
against 0). Such a service gets a forced rolling update, as docker service update
--force does: swarm replaces its tasks batch by batch under the service's own
update settings (update_config), and places each new task on the eligible
node running the fewest tasks of that service. rebalance waits for each
update to complete, then reads where the tasks run and prints it beside where
they ran before. A node is eligible when it is ready, active (neither drained
nor paused) and matches the service's placement constraints.

Left alone, and why:
  one replica   a single task cannot be spread, and moving it stops the
                service until the new task runs: an outage for nothing
  global, jobs  one task per node already; tasks that end by themselves
  skep's own    Traefik, the socket proxy, the controller: apply places them
  unsettled     an update under way or paused, or fewer tasks running than
                replicas: run again later
  preferences   placement preferences: swarm spreads those by label value,
                not by node

Refused: a service whose update settings would stop all its tasks at once
(update parallelism 0, or stop-first with a parallelism of all its replicas).
Give it deploy.update_config.parallelism: 1 and run again.

No outage: only services with two or more replicas are rolled, one batch at a
time, so the others keep answering. Traefik learns that a task stops within
its refresh interval (2 s); an app behind it should go on answering for a few
seconds after SIGTERM (swarm itself waits 2 s before sending it), or the
requests Traefik sends it meanwhile fail.

The cluster file can ask for it to happen by itself, on the swarm leader,
once every node has been ready for a while:

  swarm:
    rebalance:
      auto: true
      after: ` + config.DefaultRebalanceAfter + `

Exit 0 when every service is balanced, rebalanced or left alone on purpose;
1 when one was refused, failed or stayed uneven. --dry-run only prints the
plan (exit 0).

With --output json, stdout is {"cluster", "dry_run", "done", "services":
[{"name", "id", "stack", "replicas", "eligible", "before", "after", "action",
"reason"}]}: before and after map node names to running tasks (after is null
for a service not rolled), action is balanced, rebalance (dry run),
rebalanced, unbalanced, skipped, refused or failed. The progress lines go to
stderr.`,
		Example: `  skep rebalance --dry-run                 # what would move, moving nothing
  skep rebalance                           # every replicated service of the cluster
  skep rebalance --lab skep --stack counter
  skep rebalance -o json | jq -r '.services[] | .name + " " + .action'`,
		Args: stackArgs("no argument", 0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRebalance(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	o.src.addFlags(cmd)
	cmd.Flags().StringVar(&o.stack, "stack", "", "only the services of this stack")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the plan, change nothing")
	cmd.Flags().DurationVar(&o.timeout, "timeout", rebalance.DefaultTimeout, "how long to wait for one service's rolling update")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json (before and after per service; progress lines then go to stderr)")
	return cmd
}

// rebalanceReport is rebalance's --output json.
type rebalanceReport struct {
	Cluster  string              `json:"cluster"`
	DryRun   bool                `json:"dry_run"`
	Done     bool                `json:"done"` // what exit 0 means
	Services []rebalance.Service `json:"services"`
}

func runRebalance(ctx context.Context, out, errOut io.Writer, o *rebalanceOptions) error {
	logw, err := outputFormat(o.output, out, errOut)
	if err != nil {
		return err
	}
	if o.timeout <= 0 {
		return badInput(fmt.Errorf("--timeout %s: must be more than zero", o.timeout), "")
	}
	c, err := o.src.load()
	if err != nil {
		return err
	}
	h, mgr, err := reachManager(ctx, c)
	if err != nil {
		return err
	}
	defer h.Close()
	p := newProgress(logw)
	p.hostf(h.Name(), "reading services, tasks and nodes")
	plan, err := rebalance.Read(ctx, mgr, o.stack)
	if err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("%s: %w", h.Name(), err), hint: "skep status shows whether the swarm is healthy"}
	}
	services, runErr := plan, error(nil)
	if !o.dryRun {
		services, runErr = rebalance.Execute(ctx, mgr, plan, rebalance.Options{Timeout: o.timeout, Report: func(line string) { p.hostf(h.Name(), "%s", line) }})
	}
	rep := rebalanceReport{Cluster: c.Name, DryRun: o.dryRun, Done: !o.dryRun && rebalance.Done(services), Services: services}
	if rep.Services == nil {
		rep.Services = []rebalance.Service{}
	}
	if o.output == "json" {
		err = writeJSON(out, rep)
	} else {
		err = writeRebalanceTable(out, rep)
	}
	if err != nil {
		return err
	}
	switch {
	case runErr != nil:
		return &exitError{code: ExitFailed, err: runErr, hint: "the services marked rebalanced were rolled; skep rebalance --dry-run shows what is left"}
	case o.dryRun || rep.Done:
		return nil
	}
	var left []string
	for _, s := range services {
		if s.Action == rebalance.Refused || s.Action == rebalance.Unbalanced || s.Action == rebalance.Failed {
			left = append(left, s.Name+" ("+string(s.Action)+")")
		}
	}
	return &exitError{code: ExitFailed, err: fmt.Errorf("not balanced: %s", strings.Join(left, ", ")), hint: "the RESULT column above says why and what to change"}
}

// writeRebalanceTable prints one row per service, then what it comes to.
func writeRebalanceTable(w io.Writer, rep rebalanceReport) error {
	if len(rep.Services) == 0 {
		_, err := fmt.Fprintln(w, "no replicated service to spread")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tREPLICAS\tBEFORE\tAFTER\tRESULT")
	rolled := 0
	for _, s := range rep.Services {
		after := ""
		if s.After != nil {
			after = rebalance.Spread(s.After)
			rolled++
		}
		result := string(s.Action)
		if s.Action != rebalance.Balanced && s.Action != rebalance.Rebalanced {
			result += ": " + s.Reason
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Name, s.Replicas, rebalance.Spread(s.Before), after, result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	planned := 0
	for _, s := range rep.Services {
		if s.Action == rebalance.Planned {
			planned++
		}
	}
	switch {
	case rep.DryRun && planned > 0:
		fmt.Fprintf(w, "dry run: %d service(s) would get a rolling update; skep rebalance without --dry-run does it\n", planned)
	case rep.DryRun:
		fmt.Fprintln(w, "dry run: nothing to roll")
	case rep.Done && rolled > 0:
		fmt.Fprintf(w, "%d service(s) rebalanced; the others were balanced or left alone\n", rolled)
	case rep.Done:
		fmt.Fprintln(w, "every replicated service is balanced")
	}
	return nil
}
