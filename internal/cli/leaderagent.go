package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"skep/internal/health"
	"skep/internal/placement"
	"skep/internal/rebalance"
)

// NewLeaderAgentCommand keeps the leader label on the swarm leader and
// probes every node. It is hidden: it is the entrypoint of the
// skep-leader-agent service, which apply builds from this very binary
// and runs on every manager.
func NewLeaderAgentCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "leader-agent",
		Short: "Keep the node label " + placement.LeaderLabel + " on the swarm leader and probe every node (the entrypoint of skep-leader-agent)",
		Long: `leader-agent asks the local engine twice a second whether this node is the
swarm leader. On the leader it keeps the node label ` + placement.LeaderLabel + `=true on this
node and on no other, so services with the constraint
` + placement.AvoidLeader + ` (the controller, single-replica app
services) run elsewhere and do not wait for an election when the leader dies.
After an election it moves the label only once another manager has
registered with the new leader, or after ` + placement.Grace.String() + `. Followers write nothing.
It needs the engine socket of a manager, read-write.

On every manager it also probes every node: each second it asks each task of
` + health.ProbeService + ` (on the network ` + health.Network + `) for ` + health.PingPath + `, with a
` + health.ProbeTimeout.String() + ` timeout, and writes this manager's view of who answers to
` + health.ViewDir + `/NODE.json, which skep status reads.`,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "skep leader-agent: "+f+"\n", a...) }
			after, on, err := rebalance.AutoFromEnv(os.Getenv)
			if err != nil {
				return err
			}
			if on {
				// swarm.rebalance.auto: the same agent spreads services
				// again once every node has been ready for a while.
				go func() {
					if err := rebalance.RunAuto(cmd.Context(), after, func(f string, a ...any) { logf("rebalance: "+f, a...) }); err != nil {
						logf("rebalance: %v", err)
					}
				}()
			}
			return runBoth(cmd.Context(),
				func(ctx context.Context) error { return placement.Run(ctx, logf) },
				func(ctx context.Context) error {
					return health.RunProber(ctx, health.AgentViewDir, func(f string, a ...any) { logf("probes: "+f, a...) })
				})
		},
	}
}
