package rebalance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"skep/internal/ingress"
	"skep/internal/stack"
)

// Read plans from what the swarm holds now: every replicated service, or
// only those of stack stackName when it is not "". A stack with no
// service is an error.
func Read(ctx context.Context, eng Engine, stackName string) ([]Service, error) {
	opts := swarm.ServiceListOptions{}
	if stackName != "" {
		opts.Filters = filters.NewArgs(filters.Arg("label", stack.LabelNamespace+"="+stackName))
	}
	svcs, err := eng.ServiceList(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	if stackName != "" && len(svcs) == 0 {
		return nil, fmt.Errorf("no stack %s: no service carries the label %s=%s (skep stack ls lists the stacks)", stackName, stack.LabelNamespace, stackName)
	}
	nodes, err := eng.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the swarm's nodes: %w", err)
	}
	tasks, err := tasksOf(ctx, eng, svcs)
	if err != nil {
		return nil, err
	}
	return Plan(svcs, tasks, nodes), nil
}

// tasksOf lists the tasks of svcs that swarm wants running, in one call.
func tasksOf(ctx context.Context, eng Engine, svcs []swarm.Service) ([]swarm.Task, error) {
	if len(svcs) == 0 {
		return nil, nil
	}
	f := filters.NewArgs(filters.Arg("desired-state", "running"))
	for _, s := range svcs {
		f.Add("service", s.ID)
	}
	tasks, err := eng.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return tasks, nil
}

// Plan decides, for every service given, whether its running tasks
// should be spread again, from the services, their tasks and the swarm's
// nodes alone, in service name order. Only replicated services can be;
// the others are listed as skipped, saying why.
func Plan(svcs []swarm.Service, tasks []swarm.Task, nodes []swarm.Node) []Service {
	byService := map[string][]swarm.Task{}
	for _, t := range tasks {
		byService[t.ServiceID] = append(byService[t.ServiceID], t)
	}
	names := nodeNames(nodes)
	var out []Service
	for _, svc := range svcs {
		out = append(out, assess(svc, byService[svc.ID], nodes, names))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// assess is one service's plan. The checks come in order: what
// must never be touched first, then whether it is settled, then the
// spread, and last whether rolling it is safe.
func assess(svc swarm.Service, tasks []swarm.Task, nodes []swarm.Node, names map[string]string) Service {
	spec := svc.Spec
	s := Service{
		Name:     spec.Name,
		ID:       svc.ID,
		Stack:    spec.Labels[stack.LabelNamespace],
		Replicas: replicas(spec),
		Eligible: []string{},
		Before:   map[string]int{},
		specHash: specHash(spec),
	}
	var eligible []string
	for _, n := range nodes {
		if nodeEligible(n, spec.TaskTemplate) {
			eligible = append(eligible, names[n.ID])
			s.Before[names[n.ID]] = 0
		}
	}
	sort.Strings(eligible)
	s.Eligible = append(s.Eligible, eligible...)
	running := 0
	for _, t := range tasks {
		if isRunning(t) {
			s.Before[nodeName(names, t.NodeID)]++
			running++
		}
	}
	skip := func(format string, args ...any) Service {
		s.Action, s.Reason = Skipped, fmt.Sprintf(format, args...)
		return s
	}
	if c, ok := spec.Labels[ingress.ComponentLabel]; ok {
		return skip("skep's own service (%s=%s): apply places it", ingress.ComponentLabel, c)
	}
	switch m := spec.Mode; {
	case m.Global != nil:
		return skip("global: one task on every eligible node already")
	case m.ReplicatedJob != nil || m.GlobalJob != nil:
		return skip("a job: its tasks end by themselves")
	case m.Replicated == nil:
		return skip("not a replicated service")
	case s.Replicas == 0:
		return skip("scaled to 0 replicas")
	case s.Replicas == 1:
		return skip("one replica: it cannot be spread, and moving it would stop it (an outage) for nothing")
	}
	if p := spec.TaskTemplate.Placement; p != nil && len(p.Preferences) > 0 {
		return skip("it has placement preferences (%s): swarm spreads it by those, not evenly over nodes", preferences(p.Preferences))
	}
	if u := svc.UpdateStatus; u != nil {
		switch u.State {
		case swarm.UpdateStateUpdating, swarm.UpdateStateRollbackStarted:
			return skip("an update is under way (%s): run again once it is done", u.State)
		case swarm.UpdateStatePaused, swarm.UpdateStateRollbackPaused:
			return skip("its last update is %s (%s): fix it first (docker service ps --no-trunc %s)", u.State, u.Message, spec.Name)
		}
	}
	if uint64(running) != s.Replicas {
		return skip("%d of %d tasks running: not settled; run again once swarm has placed them (docker service ps %s)", running, s.Replicas, spec.Name)
	}
	if len(eligible) < 2 {
		s.Action, s.Reason = Balanced, fmt.Sprintf("%d node(s) may run it: nothing to spread over", len(eligible))
		return s
	}
	most, least := extremes(s.Before, eligible)
	// max - min > 1 also covers "a node runs 2 or more while an eligible
	// node runs none" (2 - 0): the fewer replicas than nodes case.
	if s.Before[most]-s.Before[least] <= 1 {
		s.Action, s.Reason = Balanced, fmt.Sprintf("at most one task apart over %d nodes", len(eligible))
		return s
	}
	uneven := fmt.Sprintf("%s runs %d tasks while %s runs %d", most, s.Before[most], least, s.Before[least])
	if why := unsafeRoll(spec.UpdateConfig, s.Replicas); why != "" {
		s.Action, s.Reason = Refused, uneven+"; but "+why
		return s
	}
	s.Action, s.Reason = Planned, uneven+"; a rolling update ("+rollWay(spec.UpdateConfig)+") spreads them"
	return s
}

// specHash is the hash of spec with its force counter zeroed.
func specHash(spec swarm.ServiceSpec) string {
	spec.TaskTemplate.ForceUpdate = 0
	data, _ := json.Marshal(spec)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// isRunning says a task runs and swarm wants it to: the tasks that count.
func isRunning(t swarm.Task) bool {
	return t.DesiredState == swarm.TaskStateRunning && t.Status.State == swarm.TaskStateRunning && t.NodeID != ""
}

func replicas(spec swarm.ServiceSpec) uint64 {
	if r := spec.Mode.Replicated; r != nil && r.Replicas != nil {
		return *r.Replicas
	}
	return 0
}

// extremes names the eligible nodes running the most and the fewest
// tasks (the first by name among equals).
func extremes(count map[string]int, eligible []string) (most, least string) {
	most, least = eligible[0], eligible[0]
	for _, n := range eligible[1:] {
		if count[n] > count[most] {
			most = n
		}
		if count[n] < count[least] {
			least = n
		}
	}
	return most, least
}

// updateConfig is the one swarm uses: the service's, or swarm's default
// (one task at a time, stop first) when it sets none.
func updateConfig(u *swarm.UpdateConfig) swarm.UpdateConfig {
	if u == nil {
		return swarm.UpdateConfig{Parallelism: 1, Order: swarm.UpdateOrderStopFirst}
	}
	c := *u
	if c.Order == "" {
		c.Order = swarm.UpdateOrderStopFirst
	}
	return c
}

// unsafeRoll says why the service's own update settings would stop it
// whole, "" when they would not. Parallelism 0 means every task at once;
// stop-first with a batch as large as the service stops every task before
// a new one starts.
func unsafeRoll(u *swarm.UpdateConfig, replicas uint64) string {
	c := updateConfig(u)
	switch {
	case c.Parallelism == 0:
		return "its update parallelism is 0 (every task at once), so a rolling update would replace all its tasks together; give it a parallelism below its replicas (deploy.update_config.parallelism: 1, or docker service update --update-parallelism 1 SERVICE) and run again"
	case c.Order == swarm.UpdateOrderStopFirst && c.Parallelism >= replicas:
		return fmt.Sprintf("its update parallelism %d with order stop-first would stop all %d tasks before starting new ones; give it a parallelism below its replicas (deploy.update_config.parallelism: 1) or order start-first, and run again", c.Parallelism, replicas)
	}
	return ""
}

// rollWay says how swarm will roll it: "stop-first, 1 at a time".
func rollWay(u *swarm.UpdateConfig) string {
	c := updateConfig(u)
	return fmt.Sprintf("%s, %d at a time", c.Order, c.Parallelism)
}

func preferences(ps []swarm.PlacementPreference) string {
	var out []string
	for _, p := range ps {
		if p.Spread != nil {
			out = append(out, "spread over "+p.Spread.SpreadDescriptor)
		}
	}
	if len(out) == 0 {
		return "unknown kind"
	}
	return strings.Join(out, ", ")
}

// nodeNames names nodes by hostname, or hostname (ID) for hostnames two
// nodes share: a node that left and joined again leaves a stale entry of
// the same name behind.
func nodeNames(nodes []swarm.Node) map[string]string {
	seen := map[string]int{}
	for _, n := range nodes {
		seen[n.Description.Hostname]++
	}
	out := map[string]string{}
	for _, n := range nodes {
		name := n.Description.Hostname
		if name == "" || seen[name] > 1 {
			name = strings.TrimSpace(name + " (" + shortID(n.ID) + ")")
		}
		out[n.ID] = name
	}
	return out
}

// nodeName is a node's name, or its short ID for a node the list lacks
// (one removed since the task was read).
func nodeName(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return shortID(id)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
