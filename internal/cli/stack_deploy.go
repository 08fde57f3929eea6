package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"skep/internal/stack"
	"skep/internal/stackdeploy"
)

type stackDeployOptions struct {
	src      clusterSource
	files    []string
	envFiles []string
	detach   bool
	timeout  time.Duration
	output   string
}

func newStackDeployCommand(g *globals) *cobra.Command {
	return stackDeployCommand(&stackDeployOptions{})
}

// stackDeployCommand parses into o, so that tests can read what it got.
func stackDeployCommand(o *stackDeployOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy -c FILE [-c FILE]... [--env-file F] [--detach] [--timeout D] NAME",
		Short: "Create or update stack NAME from compose files, and wait until it runs",
		Long: `deploy reads the compose files as docker compose does (later files override
earlier ones; variables from the environment, then --env-file or the .env
beside the first file). A problem in them stops it with exit code 2 before
any host is contacted: what the loader finds is named FILE:LINE:COL (all of
the first stage that fails), what swarm cannot run (network_mode, a port
range, ...) by service and key. Keys swarm ignores (build, depends_on, ...)
are named once as warnings.

It then fits the stack to the cluster and says what it changed:

  volumes   a named volume without a driver is the directory
            STORAGE_MOUNT/volumes/NAME_VOLUME on the shared storage (the
            same path on every node), created before the deploy, so its
            data follows a task to any node
  routing   a service with traefik.enable=true in deploy.labels joins the
            ingress network skep-public, where Traefik reaches it (when
            the cluster file declares ingress)
  IPVS      where the kernel lacks IPVS, services without endpoint_mode use
            DNS round robin (dnsrr) instead of a virtual IP, and publish
            their ports in host mode
  images    each service is pinned to the image ID (or registry digest) the
            nodes hold (skep image push puts it there), so a node that has
            it asks no registry; a node lacking it stops the deploy before
            anything is changed (exit 1)

The stack is created or updated through the first manager that answers,
as docker stack deploy does, except that a service whose declaration did
not change is left alone (its tasks keep running) and what the files no
longer declare is removed. deploy then waits until every service runs all
its tasks, healthy where the image has a healthcheck: exit 0 when it does,
exit 1 as soon as a task fails (naming the service, the node and the task's
error) or when --timeout passes. --detach returns once swarm has the stack.

With --output json, stdout is {"stack", "created", "updated", "unchanged",
"removed", "kept", "warnings", "notes", "running"} (service names, as swarm
names them; "kept", networks left for a later deploy, only when there are
some) and the progress lines go to stderr.`,
		Example: `  skep stack deploy -c compose.yaml myapp
  skep stack deploy --lab skep -c examples/counter/compose.yaml counter
  skep stack deploy -c compose.yaml -c compose.prod.yaml --env-file prod.env myapp
  skep stack deploy -c compose.yaml --detach myapp        # do not wait for the tasks
  skep stack deploy -c compose.yaml --timeout 10m myapp   # large images: wait longer
  skep stack deploy -c compose.yaml myapp -o json | jq -r '.created[]'`,
		Args: stackArgs("NAME", 1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStackDeploy(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, args[0])
		},
	}
	o.src.addFlags(cmd)
	cmd.Flags().StringArrayVarP(&o.files, "compose-file", "c", nil, "compose file; repeat to merge several, later ones override (required)")
	cmd.Flags().StringArrayVar(&o.envFiles, "env-file", nil, "file of variables for the compose files, instead of the .env beside the first one; repeatable")
	cmd.Flags().BoolVarP(&o.detach, "detach", "d", false, "return once swarm has the stack, without waiting for its tasks")
	cmd.Flags().DurationVar(&o.timeout, "timeout", stack.DefaultWaitTimeout, "how long to wait for every task to run")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json (what was created, updated, removed; progress lines then go to stderr)")
	return cmd
}

// stackDeployReport is deploy's --output json.
type stackDeployReport struct {
	*stack.DeployResult
	Warnings []string `json:"warnings"`
	Notes    []string `json:"notes"`
	// Running says deploy saw every task run; false with --detach.
	Running bool `json:"running"`
}

func runStackDeploy(ctx context.Context, out, errOut io.Writer, o *stackDeployOptions, name string) error {
	logw, err := outputFormat(o.output, out, errOut)
	if err != nil {
		return err
	}
	if len(o.files) == 0 {
		return badInput(errors.New("no compose file given"), "pass it with -c FILE (see skep stack deploy --help)")
	}
	if o.timeout <= 0 {
		return badInput(fmt.Errorf("--timeout %s: must be more than zero", o.timeout), "")
	}
	p := newProgress(logw)
	res, err := stackdeploy.Run(ctx, stackdeploy.Options{
		Cluster: o.src.load, Name: name, Files: o.files, EnvFiles: o.envFiles, Environ: os.Environ(),
		Detach: o.detach, Timeout: o.timeout,
		Print: func(line string) { fmt.Fprintln(logw, line) },
		Logf:  p.logf,
		Hostf: p.hostf,
		Deployed: func(r *stack.DeployResult) {
			if o.output != "json" {
				fmt.Fprintln(out, deploySummary(r))
			}
		},
	})
	var waitErr *stackdeploy.WaitError
	if err != nil && !errors.As(err, &waitErr) {
		return deployFailure(err)
	}
	if o.output == "json" {
		if err := writeDeployJSON(out, res.Deploy, res.Loaded.Warnings, res.Stack.Notes, res.Running); err != nil {
			return err
		}
	}
	if waitErr != nil {
		return waitFailure(name, waitErr.Err)
	}
	if o.output != "json" && !o.detach {
		fmt.Fprintf(out, "stack %s is running: every task of its %d service(s)\n", name, len(res.Loaded.Project.Services))
	}
	return nil
}

// deployFailure gives deploy's errors their exit codes: a problem in the
// files or a file swarm cannot take is bad input (2), no manager answering
// is a failure (1) with what to check; the rest pass as they are.
func deployFailure(err error) error {
	var ce *stackdeploy.ConvertError
	var nm *stackdeploy.NoManagerError
	switch {
	case errors.As(err, &ce):
		return badInput(ce, "fix the compose file; nothing was changed")
	case errors.As(err, &nm):
		return &exitError{code: ExitFailed, err: nm, hint: noManagerHint}
	}
	return composeFailure(err)
}

// composeFailure makes a problem in the compose files bad input (exit 2),
// each problem on its own line as FILE:LINE:COL: so an editor can jump
// there. Other errors (a cancelled load) pass as they are.
func composeFailure(err error) error {
	var le *stack.LoadError
	if !errors.As(err, &le) {
		return err
	}
	return badInput(&composeError{le}, "fix the lines above; no host was contacted")
}

type composeError struct{ le *stack.LoadError }

func (e *composeError) Error() string {
	if len(e.le.Problems) == 1 {
		return "compose file: " + e.le.Error()
	}
	return fmt.Sprintf("%d problems in the compose files:\n  %s", len(e.le.Problems), strings.ReplaceAll(e.le.Error(), "\n", "\n  "))
}

func (e *composeError) Unwrap() error { return e.le }

// waitFailure is a stack that does not run: exit 1, with where to look.
func waitFailure(name string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &exitError{code: ExitFailed, err: fmt.Errorf("stack %s: %w", name, err),
		hint: fmt.Sprintf("skep stack ps %s shows every task and its error; skep stack logs %s SERVICE shows what it printed", name, name)}
}

// deploySummary is one line of what the deploy did to the services.
func deploySummary(r *stack.DeployResult) string {
	s := fmt.Sprintf("stack %s: %d service(s) created, %d updated, %d unchanged, %d removed",
		r.Stack, len(r.Created), len(r.Updated), len(r.Unchanged), len(r.Removed))
	if len(r.Kept) > 0 {
		s += fmt.Sprintf("; %d network(s) kept for now", len(r.Kept))
	}
	return s
}

// writeDeployJSON is deploy's --output json; every list is an array, even
// when empty, so jq works.
func writeDeployJSON(w io.Writer, res *stack.DeployResult, warnings, notes []string, running bool) error {
	r := *res
	for _, l := range []*[]string{&r.Created, &r.Updated, &r.Unchanged, &r.Removed} {
		*l = nonNil(*l)
	}
	return writeJSON(w, stackDeployReport{DeployResult: &r, Warnings: nonNil(warnings), Notes: nonNil(notes), Running: running})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// stackArgs takes between min and max positional arguments, described by
// words ("NAME [SERVICE]"); a wrong count is bad input.
func stackArgs(words string, min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return badInput(fmt.Errorf("%s takes %s, got %d argument(s)", cmd.CommandPath(), words, len(args)),
				"see "+cmd.CommandPath()+" --help")
		}
		return nil
	}
}
