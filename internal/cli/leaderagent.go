package cli

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/spf13/cobra"

	"skep/internal/health"
	"skep/internal/placement"
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
			return runBoth(cmd.Context(),
				func(ctx context.Context) error {
					return placement.Run(ctx, func(f string, a ...any) {
						fmt.Fprintf(os.Stderr, "skep leader-agent: "+f+"\n", a...)
					})
				},
				func(ctx context.Context) error {
					return health.RunProber(ctx, health.ViewDir, func(f string, a ...any) {
						fmt.Fprintf(os.Stderr, "skep leader-agent: probes: "+f+"\n", a...)
					})
				})
		},
	}
}

// runBoth runs two loops that never end on their own; the first to fail
// stops the other, and its error ends the process (swarm starts it again).
func runBoth(ctx context.Context, a, b func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, run := range []func(context.Context) error{a, b} {
		wg.Go(func() {
			errs[i] = run(ctx)
			cancel()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

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
