// Package cli wires skep's commands: one file per command, each with an
// options struct, a NewXCommand and a runX. Library packages never print;
// this package owns the terminal.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	verbose bool
}

// Main runs skep with the process's arguments and returns the exit code.
func Main() int {
	// The handler stays installed until the process exits: a Ctrl-C that
	// lands after the work is done must not kill the process by signal and
	// hide the real exit code.
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := NewRootCommand()
	root.SetArgs(os.Args[1:])
	err := root.ExecuteContext(ctx)
	if err != nil && ctx.Err() != nil {
		// Whatever the interrupted step returned (a cancelled API call, a
		// closed SSH session), the cause is the interrupt.
		err = fmt.Errorf("%w (%v)", context.Canceled, err)
	}
	return report(os.Stderr, err)
}

// NewRootCommand builds the command tree.
func NewRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "skep",
		Short: "Build and tend a highly-available Docker Swarm cloud from one cluster file",
		Long: `skep turns three or more Linux machines into a highly-available private cloud:
Docker Swarm managers on every node, shared storage, a floating IP and HTTPS
ingress. Declare the machines in a cluster file; apply converges them to it and
is safe to run again. skep lab runs the same cloud in containers on one machine.`,
		Example: `  skep lab up                       # try it: a 3-node cloud on the local Docker engine
  skep init > cluster.yaml          # real machines: write a cluster file, then edit it
  skep plan  -f cluster.yaml        # what apply would change, changing nothing
  skep apply -f cluster.yaml        # converge
  skep status -f cluster.yaml       # one screen of health`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "print more detail")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return badInput(err, "see "+c.CommandPath()+" --help")
	})
	root.AddCommand(
		NewVersionCommand(),
		NewInitCommand(),
		NewPlanCommand(g),
		NewApplyCommand(g),
		NewStatusCommand(g),
		NewImageCommand(g),
		NewStackCommand(g),
		NewRebalanceCommand(g),
		NewLabCommand(g),
		NewSkepdCommand(),
		NewVIPAgentCommand(),
		NewLeaderAgentCommand(),
		NewNodeProbeCommand(),
	)
	return root
}
