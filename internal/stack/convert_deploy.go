package stack

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/swarm"
)

// replicas is deploy.replicas, or the legacy top-level scale when the file
// has no deploy section.
func replicas(s types.ServiceConfig, d types.DeployConfig) *int {
	if d.Replicas != nil {
		return d.Replicas
	}
	if s.Deploy == nil {
		return s.Scale
	}
	return nil
}

func serviceMode(mode string, n *int) (swarm.ServiceMode, error) {
	var count *uint64
	if n != nil {
		if *n < 0 {
			return swarm.ServiceMode{}, fmt.Errorf("deploy.replicas: %d is negative", *n)
		}
		v := uint64(*n)
		count = &v
	}
	switch mode {
	case "", "replicated":
		return swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: count}}, nil
	case "global":
		if count != nil {
			return swarm.ServiceMode{}, fmt.Errorf("deploy.replicas: cannot be set with mode global")
		}
		return swarm.ServiceMode{Global: &swarm.GlobalService{}}, nil
	case "replicated-job":
		return swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{MaxConcurrent: count, TotalCompletions: count}}, nil
	case "global-job":
		if count != nil {
			return swarm.ServiceMode{}, fmt.Errorf("deploy.replicas: cannot be set with mode global-job")
		}
		return swarm.ServiceMode{GlobalJob: &swarm.GlobalJob{}}, nil
	}
	return swarm.ServiceMode{}, fmt.Errorf("deploy.mode: unknown mode %q (replicated, global, replicated-job or global-job)", mode)
}

// convertResources always returns a value, empty when nothing is set, as
// docker stack deploy does: specs from either tool then compare equal.
func convertResources(r types.Resources) (*swarm.ResourceRequirements, error) {
	out := &swarm.ResourceRequirements{}
	if l := r.Limits; l != nil {
		cpus, err := nanoCPUs(l.NanoCPUs)
		if err != nil {
			return nil, fmt.Errorf("deploy.resources.limits.cpus: %w", err)
		}
		out.Limits = &swarm.Limit{NanoCPUs: cpus, MemoryBytes: int64(l.MemoryBytes), Pids: l.Pids}
	}
	if rs := r.Reservations; rs != nil {
		cpus, err := nanoCPUs(rs.NanoCPUs)
		if err != nil {
			return nil, fmt.Errorf("deploy.resources.reservations.cpus: %w", err)
		}
		if len(rs.Devices) > 0 {
			return nil, fmt.Errorf("deploy.resources.reservations.devices: not supported by swarm; use generic_resources")
		}
		res := &swarm.Resources{NanoCPUs: cpus, MemoryBytes: int64(rs.MemoryBytes)}
		for _, g := range rs.GenericResources {
			if g.DiscreteResourceSpec == nil {
				continue
			}
			res.GenericResources = append(res.GenericResources, swarm.GenericResource{
				DiscreteResourceSpec: &swarm.DiscreteGenericResource{Kind: g.DiscreteResourceSpec.Kind, Value: g.DiscreteResourceSpec.Value},
			})
		}
		out.Reservations = res
	}
	return out, nil
}

// nanoCPUs converts a CPU count to billionths. compose-go holds it as a
// float32, so it goes through its shortest decimal form and an exact
// rational: 0.1 becomes 100000000, not float32's 100000001.
func nanoCPUs(v types.NanoCPUs) (int64, error) {
	if v == 0 {
		return 0, nil
	}
	s := strconv.FormatFloat(float64(v), 'f', -1, 32)
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return 0, fmt.Errorf("invalid value %s", s)
	}
	n := r.Mul(r, big.NewRat(1e9, 1))
	if !n.IsInt() {
		return 0, fmt.Errorf("%s has more than 9 decimal places", s)
	}
	return n.Num().Int64(), nil
}

// restartPolicy prefers deploy.restart_policy and falls back to the
// service's restart key. Unlike docker stack deploy, restart: "no" becomes
// condition none: docker drops it, and swarm's default then restarts the
// task forever, the opposite of what the file says.
func restartPolicy(restart string, p *types.RestartPolicy) (*swarm.RestartPolicy, error) {
	if p != nil {
		switch p.Condition {
		case "", "none", "on-failure", "any":
		default:
			return nil, fmt.Errorf("deploy.restart_policy.condition: unknown condition %q (none, on-failure or any)", p.Condition)
		}
		return &swarm.RestartPolicy{
			Condition:   swarm.RestartPolicyCondition(p.Condition),
			Delay:       durationPtr(p.Delay),
			MaxAttempts: p.MaxAttempts,
			Window:      durationPtr(p.Window),
		}, nil
	}
	name, count, _ := strings.Cut(restart, ":")
	var attempts *uint64
	if count != "" {
		n, err := strconv.ParseUint(count, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("restart: invalid retry count in %q", restart)
		}
		if n > 0 {
			attempts = &n
		}
	}
	if name == "on-failure" && attempts == nil {
		// docker sends on-failure's count even when it is 0 (no limit).
		attempts = new(uint64)
	}
	switch name {
	case "":
		return nil, nil
	case "no":
		return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone}, nil
	case "always", "unless-stopped":
		return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, MaxAttempts: attempts}, nil
	case "on-failure":
		return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure, MaxAttempts: attempts}, nil
	}
	return nil, fmt.Errorf("restart: unknown policy %q (no, always, on-failure or unless-stopped)", restart)
}

// withRestartDelay gives a service that restarts (any condition but none;
// no policy at all means swarm's default, any) the cluster's restart delay
// when the file sets none. A delay in the file wins, and a service that
// never restarts keeps a policy without one: its delay would mean nothing.
func withRestartDelay(p *swarm.RestartPolicy, delay *time.Duration) *swarm.RestartPolicy {
	if delay == nil {
		return p
	}
	if p == nil {
		p = &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny}
	}
	if p.Condition == swarm.RestartPolicyConditionNone || p.Delay != nil {
		return p
	}
	d := *delay
	p.Delay = &d
	return p
}

// updateConfig converts update_config and rollback_config; parallelism
// defaults to 1 as in docker stack deploy (0 would mean all at once).
func updateConfig(u *types.UpdateConfig) *swarm.UpdateConfig {
	if u == nil {
		return nil
	}
	parallelism := uint64(1)
	if u.Parallelism != nil {
		parallelism = *u.Parallelism
	}
	return &swarm.UpdateConfig{
		Parallelism:     parallelism,
		Delay:           time.Duration(u.Delay),
		FailureAction:   u.FailureAction,
		Monitor:         time.Duration(u.Monitor),
		MaxFailureRatio: u.MaxFailureRatio,
		Order:           u.Order,
	}
}

func placementPreferences(prefs []types.PlacementPreferences) []swarm.PlacementPreference {
	var out []swarm.PlacementPreference
	for _, p := range prefs {
		out = append(out, swarm.PlacementPreference{Spread: &swarm.SpreadOver{SpreadDescriptor: p.Spread}})
	}
	return out
}
