package apply

import (
	"fmt"
	"strings"
	"testing"

	"skep/internal/config"
)

// A host without FUSE cannot mount the shared volume: with storage
// declared that stops the run before any change (exit 1, from the CLI's
// plain error), without storage it is only a warning.
func TestPreflightFUSE(t *testing.T) {
	c := testCluster("manager", "manager", "manager")
	cf := converged(c)
	for _, f := range cf.Hosts {
		f.IPVS = true // only the FUSE fact differs between hosts here
	}
	cf.Hosts["node2"].FUSE = false
	var log []string
	logf := func(h, f string, a ...any) { log = append(log, h+": "+strings.TrimSpace(fmt.Sprintf(f, a...))) }

	e := &env{cluster: c, facts: cf, result: &Result{}, opts: Options{Logf: logf}}
	if err := preflight(e); err != nil || len(e.result.Warnings) != 1 || !strings.Contains(e.result.Warnings[0], "node2: no /dev/fuse") {
		t.Fatalf("without storage: err %v, warnings %v", err, e.result.Warnings)
	}

	c.Storage = &config.Storage{}
	e = &env{cluster: c, facts: cf, result: &Result{}, opts: Options{Logf: logf}}
	err := preflight(e)
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), "node2: no /dev/fuse, but storage: is declared") {
		t.Fatalf("with storage: %v", err)
	}
	if strings.Contains(err.Error(), "node1") || len(e.result.Warnings) != 0 {
		t.Fatalf("with storage: %v; warnings %v", err, e.result.Warnings)
	}
}
