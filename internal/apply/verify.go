package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"skep/internal/config"
	"skep/internal/poll"
	"skep/internal/status"
)

// verifyWait bounds how long apply waits, after its last change, for the
// cluster to be healthy; verifyEvery is how often it says what it still
// waits for.
const (
	verifyWait  = 120 * time.Second
	verifyEvery = 10 * time.Second
)

// verify checks the outcome, not the steps: apply ends only when status
// (the same code as `skep status`) finds no problem in the components the
// cluster file declares, so the first screen after an apply is the truth
// and it is healthy. What status could not learn in time (its "not known")
// does not hold apply up; swarm nodes outside the cluster file are not
// apply's to fix.
func verify(ctx context.Context, e *env) error {
	start := time.Now()
	lastSaid := start
	var problems []string
	err := poll.Until(ctx, "verify", time.Second, verifyWait, func(ctx context.Context) error {
		r := status.Collect(ctx, e.cluster, status.Options{AcceptNew: e.opts.AcceptNewHostKeys, Sections: StatusSections(e.cluster)})
		problems = r.DeclaredProblems()
		if len(problems) == 0 {
			e.logf("", "verified: status healthy (%d nodes ready, quorum, %s) after %s", len(e.cluster.Hosts), verifiedParts(e.cluster, r), time.Since(start).Round(100*time.Millisecond))
			return nil
		}
		if time.Since(lastSaid) >= verifyEvery {
			lastSaid = time.Now()
			e.logf("", "waiting for a healthy status (%s so far): %s", time.Since(start).Round(time.Second), strings.Join(problems, "; "))
		}
		return errors.New(strings.Join(problems, "; "))
	})
	var te *poll.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("verify: not healthy %s after the last change:\n  - %s\n(see skep status)", verifyWait, strings.Join(problems, "\n  - "))
	}
	return err
}

// verifiedParts names the sections the healthy report covered besides the
// nodes: the declared components', from the same list status uses.
func verifiedParts(c *config.Cluster, r *status.Report) string {
	var parts []string
	for _, s := range StatusSections(c) {
		part := s.Name
		if s.Name == status.VIPSection.Name && r.VIP != nil {
			part += " on " + r.VIP.Holder
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "swarm only"
	}
	return strings.Join(parts, ", ")
}
