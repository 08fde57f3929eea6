package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/docker/client"
	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"skep/internal/stack"
)

type stackPsOptions struct {
	stackReadOptions
	noTrunc bool
}

func newStackPsCommand(g *globals) *cobra.Command {
	o := &stackPsOptions{}
	cmd := &cobra.Command{
		Use:   "ps NAME",
		Short: "List the tasks of stack NAME: where they run, their state, their errors",
		Long: `ps lists the tasks of stack NAME as docker stack ps does: each service's slots
in order and, under each, its earlier tasks (marked \_): the ones that failed
or were replaced, with their error. NODE is the node a task was placed on.
IDs and errors are cut short unless --no-trunc is given.

With --output json, stdout is [{"id", "name", "image", "node",
"desired_state", "current_state", "since", "error"}], newest task of a slot
first, nothing cut short.`,
		Example: `  skep stack ps myapp
  skep stack ps --lab skep counter --no-trunc
  skep stack ps myapp -o json | jq -r '.[] | select(.error != "") | .name + ": " + .error'`,
		Args: stackArgs("NAME", 1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := outputFormat(o.output, nil, nil); err != nil {
				return err
			}
			return onManager(cmd.Context(), &o.src, func(mgr client.APIClient) error {
				rows, err := stack.Tasks(cmd.Context(), mgr, args[0])
				if err != nil {
					return err
				}
				if o.output == "json" {
					return writeJSON(cmd.OutOrStdout(), rows)
				}
				return writeTaskTable(cmd.OutOrStdout(), rows, time.Now(), o.noTrunc)
			})
		},
	}
	o.addFlags(cmd, "one object per task")
	cmd.Flags().BoolVar(&o.noTrunc, "no-trunc", false, "show task IDs and errors whole")
	return cmd
}

// Widths docker stack ps cuts IDs and errors to.
const (
	taskIDWidth    = 12
	taskErrorWidth = 30
)

// writeTaskTable is docker stack ps's table. A row with the name of the
// row above is an earlier task of the same slot, shown as history.
func writeTaskTable(w io.Writer, rows []stack.TaskRow, now time.Time, noTrunc bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tIMAGE\tNODE\tDESIRED STATE\tCURRENT STATE\tERROR")
	prev := ""
	for _, r := range rows {
		name := r.Name
		if name == prev {
			name = ` \_ ` + name
		}
		prev = r.Name
		id, errText := r.ID, r.Error
		if !noTrunc {
			id = cut(id, taskIDWidth, "")
			errText = cut(errText, taskErrorWidth, "…")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, name, r.Image, r.Node,
			capitalize(r.DesiredState), currentState(r, now), errText)
	}
	return tw.Flush()
}

// currentState is the state and how long ago it was entered: "Running 5
// minutes ago".
func currentState(r stack.TaskRow, now time.Time) string {
	if r.Since.IsZero() {
		return capitalize(r.CurrentState)
	}
	return capitalize(r.CurrentState) + " " + units.HumanDuration(now.Sub(r.Since)) + " ago"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// cut shortens s to n runes, the last being mark when one is given.
func cut(s string, n int, mark string) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if mark == "" {
		return string(r[:n])
	}
	return string(r[:n-1]) + mark
}
