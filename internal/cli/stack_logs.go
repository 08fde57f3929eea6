package cli

import (
	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/stack"
)

type stackLogsOptions struct {
	src    clusterSource
	follow bool
}

func newStackLogsCommand(g *globals) *cobra.Command {
	o := &stackLogsOptions{}
	cmd := &cobra.Command{
		Use:   "logs NAME [SERVICE]",
		Short: "Print the logs of stack NAME's services, or of one of them",
		Long: `logs prints what the tasks of stack NAME wrote (stdout and stderr), gathered
by the swarm from every node they ran on, each line led by its service's
name. SERVICE is a service's name in the compose file (web, not NAME_web);
without it, every service of the stack. --follow keeps printing as lines
come, until Ctrl-C (exit 0) or the stack is removed. -f is the cluster file
here, as in every skep command: --follow has no short form.`,
		Example: `  skep stack logs myapp
  skep stack logs --lab skep counter web
  skep stack logs myapp web --follow`,
		Args: stackArgs("NAME [SERVICE]", 1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			service := ""
			if len(args) == 2 {
				service = args[1]
			}
			ctx := cmd.Context()
			return onManager(ctx, &o.src, func(mgr client.APIClient) error {
				err := stack.Logs(ctx, mgr, args[0], service, cmd.OutOrStdout(), o.follow)
				if o.follow && ctx.Err() != nil {
					// Ctrl-C is how a follow ends.
					return nil
				}
				return err
			})
		},
	}
	o.src.addFlags(cmd)
	cmd.Flags().BoolVar(&o.follow, "follow", false, "keep printing new lines until interrupted")
	return cmd
}
