package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/config"
	skswarm "skep/internal/swarm"
)

// joinTimeout bounds the wait for a joined node to be ready (and, for a
// manager, reachable in Raft) before the next one joins.
const joinTimeout = 90 * time.Second

// drainTimeout bounds the wait for a leaving node's tasks to stop.
const drainTimeout = 2 * time.Minute

// planSwarm takes the hosts to one swarm with the declared roles: init on
// the first manager when no swarm exists, then managers join one at a time,
// then workers; roles are corrected and nodes not in the file removed.
func planSwarm(_ context.Context, e *env) ([]Step, error) {
	anchor, err := swarmAnchor(e)
	if err != nil {
		return nil, err
	}
	known := map[string]swarm.Node{}
	for _, n := range e.facts.Nodes {
		known[n.ID] = n
	}
	var steps []Step
	if anchor == "" {
		first := e.cluster.FirstManager()
		steps = append(steps, Step{Host: first.Name, Action: "initialise the swarm, advertising " + first.Address,
			Reason: "no host is in a swarm yet", run: func(ctx context.Context) error { return initSwarm(ctx, e, first) }})
	}
	for _, h := range append(e.cluster.Managers(), e.cluster.Workers()...) {
		if h.Name == anchor || (anchor == "" && h.Name == e.cluster.FirstManager().Name) {
			continue
		}
		f := e.facts.Hosts[h.Name]
		node, member := known[f.Swarm.NodeID]
		member = member && f.Swarm.InSwarm()
		switch {
		case member && h.Role == config.RoleManager && node.Spec.Role != swarm.NodeRoleManager:
			steps = append(steps, roleStep(e, h, swarm.NodeRoleManager, "promote to manager", "declared manager, is a worker"))
		case member && h.Role == config.RoleWorker && node.Spec.Role != swarm.NodeRoleWorker:
			steps = append(steps, roleStep(e, h, swarm.NodeRoleWorker, "demote to worker", "declared worker, is a manager"))
		case member:
		case f.Swarm.InSwarm() && f.Swarm.Manager && f.Swarm.ClusterID != clusterIDOf(e, anchor):
			return nil, fmt.Errorf("%s is a manager of another swarm (cluster %s); skep will not break it up: run `docker swarm leave --force` on %s if it should join this cluster", h.Name, f.Swarm.ClusterID, h.Name)
		default:
			why := "not in the swarm"
			if f.Swarm.Local != swarm.LocalNodeStateInactive && f.Swarm.Local != "" {
				why = fmt.Sprintf("swarm state %q: an earlier join did not finish or the node was removed", f.Swarm.Local)
			}
			steps = append(steps, Step{Host: h.Name, Action: "join the swarm as " + h.Role, Reason: why,
				run: func(ctx context.Context) error { return joinSwarm(ctx, e, h) }})
		}
	}
	if step, ok := heartbeatStep(e, anchor); ok {
		steps = append(steps, step)
	}
	steps = append(steps, removalSteps(e)...)
	return steps, nil
}

// heartbeatStep sets the swarm's dispatcher heartbeat to the cluster
// file's tuning when the swarm has another one (a swarm made before the
// file changed, or by hand). A new swarm gets it at init; an unknown
// value (0: no manager said) plans nothing.
func heartbeatStep(e *env, anchor string) (Step, bool) {
	want, cur := e.cluster.Tuning.Heartbeat(), e.facts.Heartbeat
	if anchor == "" || cur == 0 || cur == want {
		return Step{}, false
	}
	return Step{Host: anchor, Action: fmt.Sprintf("update dispatcher heartbeat %s -> %s", cur, want),
		Reason: "tuning.dispatcher_heartbeat: a node that stops answering is marked down after about three missed heartbeats",
		run: func(ctx context.Context) error {
			_, mgr, err := liveAnchor(ctx, e)
			if err != nil {
				return err
			}
			return skswarm.SetHeartbeat(ctx, mgr, want)
		}}, true
}

// swarmAnchor is the declared manager already managing a swarm, which the
// others join; "" when none is. Managers of two different swarms are an
// error: merging swarms would lose one's state.
func swarmAnchor(e *env) (string, error) {
	var anchor string
	ids := map[string][]string{}
	for _, h := range e.cluster.Managers() {
		f := e.facts.Hosts[h.Name]
		if f.Swarm.InSwarm() && f.Swarm.Manager {
			ids[f.Swarm.ClusterID] = append(ids[f.Swarm.ClusterID], h.Name)
			if anchor == "" {
				anchor = h.Name
			}
		}
	}
	if len(ids) > 1 {
		var parts []string
		for id, hs := range ids {
			parts = append(parts, fmt.Sprintf("%s in %s", strings.Join(hs, ","), id))
		}
		sort.Strings(parts)
		return "", fmt.Errorf("the hosts belong to different swarms (%s); skep will not merge them: make the extra hosts leave their swarm (docker swarm leave --force) and apply again", strings.Join(parts, "; "))
	}
	if anchor != "" && e.facts.Nodes == nil {
		if e.facts.NodesErr != nil {
			return "", fmt.Errorf("%s is in a swarm whose node list no manager gave: %w; if the swarm lost its quorum, start the missing managers, or recover with `docker swarm init --force-new-cluster` on %s", anchor, e.facts.NodesErr, anchor)
		}
		return "", fmt.Errorf("%s manages a swarm that does not answer (no leader: quorum lost?); start the missing managers, or recover with `docker swarm init --force-new-cluster` on %s", anchor, anchor)
	}
	return anchor, nil
}

func clusterIDOf(e *env, name string) string {
	if f, ok := e.facts.Hosts[name]; ok {
		return f.Swarm.ClusterID
	}
	return ""
}

func initSwarm(ctx context.Context, e *env, h config.Host) error {
	cli, err := e.hosts[h.Name].Docker(ctx)
	if err != nil {
		return err
	}
	_, err = skswarm.Init(ctx, cli, h.Address, e.cluster.Tuning.Heartbeat())
	return err
}

// liveAnchor finds, now, a declared manager that manages the swarm.
func liveAnchor(ctx context.Context, e *env) (config.Host, client.APIClient, error) {
	var errs causes
	for _, m := range e.cluster.Managers() {
		cli, err := e.hosts[m.Name].Docker(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
			continue
		}
		st, err := skswarm.Inspect(ctx, cli)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		case !st.InSwarm():
			errs = append(errs, fmt.Errorf("%s: not in a swarm (state %s)", m.Name, st.Local))
		case !st.Manager:
			errs = append(errs, fmt.Errorf("%s: a worker of the swarm, not a manager", m.Name))
		default:
			return m, cli, nil
		}
	}
	return config.Host{}, nil, fmt.Errorf("no declared manager manages the swarm: %w", errs)
}

func joinSwarm(ctx context.Context, e *env, h config.Host) error {
	anchor, mgr, err := liveAnchor(ctx, e)
	if err != nil {
		return err
	}
	tokens, err := skswarm.Tokens(ctx, mgr)
	if err != nil {
		return err
	}
	token := tokens.Worker
	if h.Role == config.RoleManager {
		token = tokens.Manager
	}
	cli, err := e.hosts[h.Name].Docker(ctx)
	if err != nil {
		return err
	}
	if st, err := skswarm.Inspect(ctx, cli); err == nil && st.Local != swarm.LocalNodeStateInactive {
		// A join cut short leaves the engine pending or in error; a node
		// removed from the swarm still thinks it is in. Start over.
		if err := skswarm.Leave(ctx, cli); err != nil {
			return fmt.Errorf("leave the unfinished swarm membership: %w", err)
		}
	}
	if err := skswarm.Join(ctx, cli, h.Address, anchor.Address, token); err != nil {
		return err
	}
	st, err := skswarm.Inspect(ctx, cli)
	if err != nil {
		return err
	}
	e.logf(h.Name, "joined; waiting until the swarm reports it ready")
	return skswarm.WaitReady(ctx, mgr, st.NodeID, h.Role == config.RoleManager, joinTimeout)
}

func roleStep(e *env, h config.Host, role swarm.NodeRole, action, why string) Step {
	return Step{Host: h.Name, Action: action, Reason: why, run: func(ctx context.Context) error {
		_, mgr, err := liveAnchor(ctx, e)
		if err != nil {
			return err
		}
		id := e.facts.Hosts[h.Name].Swarm.NodeID
		if err := skswarm.SetRole(ctx, mgr, id, role); err != nil {
			return err
		}
		return skswarm.WaitReady(ctx, mgr, id, role == swarm.NodeRoleManager, joinTimeout)
	}}
}

// removalSteps drop swarm nodes that no declared host is: hosts taken out
// of the cluster file, and stale entries left by a node that rejoined with
// a new identity. Nodes are matched by ID, never by address, so a host
// that advertises an unexpected address is not mistaken for a stranger.
func removalSteps(e *env) []Step {
	ours := map[string]bool{}
	for _, f := range e.facts.Hosts {
		if f.Swarm.NodeID != "" {
			ours[f.Swarm.NodeID] = true
		}
	}
	var steps []Step
	for _, n := range e.facts.Nodes {
		if ours[n.ID] {
			continue
		}
		n := n
		label := fmt.Sprintf("node %s (%s, %s)", n.Description.Hostname, n.Status.Addr, shortID(n.ID))
		steps = append(steps, Step{Host: e.cluster.FirstManager().Name, Action: "remove " + label + " from the swarm",
			Reason: "not in the cluster file; node " + string(n.Status.State),
			run: func(ctx context.Context) error {
				_, mgr, err := liveAnchor(ctx, e)
				if err != nil {
					return err
				}
				if n.Status.State == swarm.NodeStateReady {
					// A live node is drained first, so its tasks run
					// elsewhere before it goes.
					if err := skswarm.Drain(ctx, mgr, n.ID, drainTimeout); err != nil {
						return err
					}
				}
				if n.Spec.Role == swarm.NodeRoleManager {
					if err := skswarm.SetRole(ctx, mgr, n.ID, swarm.NodeRoleWorker); err != nil {
						return err
					}
				}
				return skswarm.Remove(ctx, mgr, n.ID)
			}})
	}
	return steps
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// planLabels sets each host's declared node labels.
func planLabels(_ context.Context, e *env) ([]Step, error) {
	byID := map[string]swarm.Node{}
	for _, n := range e.facts.Nodes {
		byID[n.ID] = n
	}
	var steps []Step
	for _, h := range e.cluster.Hosts {
		node, ok := byID[e.facts.Hosts[h.Name].Swarm.NodeID]
		if !ok || len(h.Labels) == 0 {
			continue
		}
		missing := skswarm.LabelsMissing(node, h.Labels)
		if len(missing) == 0 {
			continue
		}
		var kv []string
		for k, v := range missing {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		id := node.ID
		steps = append(steps, Step{Host: h.Name, Action: "set node labels " + strings.Join(kv, " "), Reason: "declared in the cluster file",
			run: func(ctx context.Context) error {
				_, mgr, err := liveAnchor(ctx, e)
				if err != nil {
					return err
				}
				return skswarm.SetLabels(ctx, mgr, id, missing)
			}})
	}
	return steps, nil
}
