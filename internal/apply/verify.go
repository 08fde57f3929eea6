package apply

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/swarm"

	skswarm "skep/internal/swarm"
)

// verify checks the outcome, not the steps: every declared host is a ready
// node with its declared role and every manager is reachable.
func verify(ctx context.Context, e *env) error {
	_, mgr, err := liveAnchor(ctx, e)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		problems, err := verifyOnce(ctx, e, mgr)
		if err == nil && len(problems) == 0 {
			e.logf("", "verified: %d nodes ready, %d managers reachable", len(e.cluster.Hosts), len(e.cluster.Managers()))
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			return fmt.Errorf("verify: %v", problems)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func verifyOnce(ctx context.Context, e *env, mgr interface {
	NodeInspectWithRaw(context.Context, string) (swarm.Node, []byte, error)
}) ([]string, error) {
	var problems []string
	for _, h := range e.cluster.Hosts {
		cli, err := e.hosts[h.Name].Docker(ctx)
		if err != nil {
			return nil, err
		}
		st, err := skswarm.Inspect(ctx, cli)
		if err != nil {
			return nil, err
		}
		n, _, err := mgr.NodeInspectWithRaw(ctx, st.NodeID)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", h.Name, err))
			continue
		}
		if n.Status.State != swarm.NodeStateReady {
			problems = append(problems, fmt.Sprintf("%s: node %s", h.Name, n.Status.State))
		}
		if string(n.Spec.Role) != h.Role {
			problems = append(problems, fmt.Sprintf("%s: role %s, declared %s", h.Name, n.Spec.Role, h.Role))
		}
		if h.Role == "manager" && (n.ManagerStatus == nil || n.ManagerStatus.Reachability != swarm.ReachabilityReachable) {
			problems = append(problems, fmt.Sprintf("%s: manager not reachable", h.Name))
		}
	}
	return problems, nil
}
