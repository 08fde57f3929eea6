package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/stackdeploy"
	skswarm "skep/internal/swarm"
)

// NewStackCommand groups the commands for app stacks: compose files
// deployed onto the cluster as ordinary swarm stacks.
func NewStackCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stack",
		Short: "Deploy and tend apps: compose files as swarm stacks",
		Long: `An app is a stack: a compose file (version 3 or the Compose Specification)
that skep deploys onto the cluster as an ordinary swarm stack, fitted to the
cluster: named volumes are kept on the shared storage, services routed by
Traefik join its network, images come from the nodes (skep image push), not
from a registry. Docker on any manager sees the stack (docker stack ls).

Every stack command talks to the first manager of the cluster file that
answers; a manager that is down does not stop it. deploy also asks every
node the swarm may place tasks on for its images, so such a node that
skep cannot reach stops a deploy.`,
		Example: `  skep stack deploy -c compose.yaml myapp
  skep stack ls
  skep stack ps myapp
  skep stack logs myapp web --follow
  skep stack rm myapp`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		newStackDeployCommand(g),
		newStackLsCommand(g),
		newStackPsCommand(g),
		newStackLogsCommand(g),
		newStackRmCommand(g),
	)
	return cmd
}

// stackDialTimeout bounds reaching one host: a host that does not answer
// within it is down for the stack commands.
const stackDialTimeout = stackdeploy.DialTimeout

// noManagerHint is what to do when no manager answers.
const noManagerHint = "skep status shows which hosts answer; skep apply sets the swarm up"

// reachManager dials every manager of c at once and returns the first that
// answers as a manager of the swarm; the others are closed as they answer.
// The caller closes the host returned.
func reachManager(ctx context.Context, c *config.Cluster) (*host.Host, client.APIClient, error) {
	var targets []host.Target
	for _, t := range host.Targets(c, false, stackDialTimeout) {
		if h, ok := c.HostByName(t.Name); ok && h.Role != config.RoleWorker {
			targets = append(targets, t)
		}
	}
	type answer struct {
		h   *host.Host
		mgr client.APIClient
		err error
	}
	answers := make(chan answer, len(targets))
	for _, t := range targets {
		go func() {
			h, err := host.Dial(ctx, t)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			mgr, err := asManager(ctx, h)
			answers <- answer{h, mgr, err}
		}()
	}
	var errs []error
	for left := len(targets); left > 0; left-- {
		a := <-answers
		if a.err == nil {
			go closeAnswers(answers, left-1, func(x answer) *host.Host { return x.h })
			return a.h, a.mgr, nil
		}
		if a.h != nil {
			a.h.Close()
		}
		errs = append(errs, a.err)
	}
	return nil, nil, &exitError{code: ExitFailed, err: fmt.Errorf("no manager of cluster %s answered: %w", c.Name, errors.Join(errs...)), hint: noManagerHint}
}

// closeAnswers closes the hosts of the n answers still to come.
func closeAnswers[T any](answers <-chan T, n int, hostOf func(T) *host.Host) {
	for ; n > 0; n-- {
		if h := hostOf(<-answers); h != nil {
			h.Close()
		}
	}
}

// asManager is h's engine when it manages the swarm, else an error saying
// what h is instead.
func asManager(ctx context.Context, h *host.Host) (client.APIClient, error) {
	// A frozen engine is as good as down; the client stays usable past
	// this context.
	ctx, cancel := context.WithTimeout(ctx, stackDialTimeout)
	defer cancel()
	cli, err := h.Docker(ctx)
	if err != nil {
		return nil, err
	}
	st, err := skswarm.Inspect(ctx, cli)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", h.Name(), err)
	case !st.InSwarm():
		return nil, fmt.Errorf("%s: not in a swarm (state %s)", h.Name(), st.Local)
	case !st.Manager:
		return nil, fmt.Errorf("%s: not a manager of the swarm", h.Name())
	}
	return cli, nil
}
