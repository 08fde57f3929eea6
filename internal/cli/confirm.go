package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/term"
)

// confirmRemoveData asks the operator to type the cluster's name before an
// apply with --remove-data, which deletes volumes, bricks and ACME state
// that no later apply can bring back. --yes skips the question; without a
// terminal to ask on, and without --yes, it is bad input (exit 2), said
// before anything is contacted or changed.
func confirmRemoveData(in io.Reader, out io.Writer, terminal bool, cluster string, yes bool) error {
	if yes {
		return nil
	}
	if !terminal {
		return badInput(errors.New("--remove-data deletes data and needs a confirmation, but there is no terminal to ask on"),
			"run it on a terminal, or add --yes to confirm in advance; skep plan --remove-data shows what would be deleted")
	}
	fmt.Fprintf(out, "--remove-data deletes the data of every section the cluster file no longer has\n"+
		"(GlusterFS volumes and bricks, the controller's ACME account and certificates); see skep plan --remove-data.\n"+
		"Type the cluster's name (%s) to go on: ", cluster)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return badInput(errors.New("no confirmation read; nothing was changed"), "")
	}
	if strings.TrimSpace(line) != cluster {
		return badInput(fmt.Errorf("%q is not the cluster's name %q; nothing was changed", strings.TrimSpace(line), cluster), "")
	}
	return nil
}

// isTerminal tells whether f is a terminal, so a question can be asked on
// it (a character device is not enough: /dev/null is one too).
func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }
