package cli

import (
	"context"
	"fmt"
	"io"
	"path"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/config"
	"skep/internal/stack"
)

func newStackRmCommand(g *globals) *cobra.Command {
	o := &stackReadOptions{}
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove stack NAME's services, networks, configs and secrets; keep its data",
		Long: `rm removes stack NAME as docker stack rm does: its services (their tasks stop),
then its configs and secrets, then its networks once no task holds them, and
prints each object removed. It goes on past an object that cannot be
removed and reports them all at the end (exit 1); run it again.

The stack's data stays: its named volumes are directories on the shared
storage (STORAGE_MOUNT/volumes/NAME_VOLUME) that a later deploy of the same
stack finds again. Delete them by hand when the data is no longer wanted.

With --output json, stdout is {"stack", "removed", "data"}: the objects
removed ("service NAME_web", ...) and where the data was kept ("" without
shared storage).`,
		Example: `  skep stack rm myapp
  skep stack rm --lab skep counter
  skep lab ssh node1 -- rm -r /var/data/volumes/counter_data   # then the data, on the lab`,
		Args: stackArgs("NAME", 1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStackRm(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, args[0])
		},
	}
	o.addFlags(cmd, "what was removed; progress lines then go to stderr")
	return cmd
}

func runStackRm(ctx context.Context, out, errOut io.Writer, o *stackReadOptions, name string) error {
	logw, err := outputFormat(o.output, out, errOut)
	if err != nil {
		return err
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
	return removeStack(ctx, logw, out, o.output == "json", c, mgr, h.Name(), name)
}

func removeStack(ctx context.Context, logw, out io.Writer, asJSON bool, c *config.Cluster, mgr client.APIClient, mgrName, name string) error {
	p := newProgress(logw)
	removed, err := stack.Remove(ctx, mgr, name, func(line string) { p.hostf(mgrName, "%s", line) })
	if err == nil && len(removed) == 0 {
		return &exitError{code: ExitFailed, err: fmt.Errorf("no stack %s: no object carries the label %s=%s", name, stack.LabelNamespace, name),
			hint: "skep stack ls lists the stacks"}
	}
	data := keptData(c, name)
	if asJSON {
		if jerr := writeJSON(out, map[string]any{"stack": name, "removed": nonNil(removed), "data": data}); jerr != nil {
			return jerr
		}
	} else {
		fmt.Fprintln(out, removedSummary(name, len(removed), data))
	}
	return err
}

// keptData is the pattern of the stack's named volumes on the shared
// storage, "" when the cluster has none.
func keptData(c *config.Cluster, name string) string {
	if c.Storage == nil {
		return ""
	}
	return path.Join(c.Storage.Mount, "volumes", name+"_*")
}

// removedSummary says what rm did and where the data stays.
func removedSummary(name string, n int, data string) string {
	s := fmt.Sprintf("stack %s: %d object(s) removed", name, n)
	if data == "" {
		return s + "; its docker volumes, if any, stay on the nodes (docker volume ls)"
	}
	return s + fmt.Sprintf("; its data on the shared storage is kept (%s) for a later deploy: delete it by hand when no longer wanted", data)
}
