package config

import "time"

// Rebalance asks skep to spread replicated services over the nodes again
// by itself after a node came back (what `skep rebalance` does by hand):
// swarm never moves a running task, so a node that returns stays empty.
// It sits under swarm: it is about where swarm runs tasks, and builds no
// component of its own (the leader agent does it on the swarm leader).
type Rebalance struct {
	// Auto turns it on; off by default (also without this section).
	Auto bool `yaml:"auto"`
	// After is how long every node must have been ready before tasks are
	// moved (a Go duration, DefaultRebalanceAfter when unset), so a node
	// that flaps is not handed tasks it drops again at once.
	After string `yaml:"after,omitempty"`
}

// Bounds of swarm.rebalance.after. Below 10 s a node that is still
// flapping would be handed tasks; past a day the option means nothing.
const (
	DefaultRebalanceAfter = "60s"
	minRebalanceAfter     = 10 * time.Second
	maxRebalanceAfter     = 24 * time.Hour
)

func (c *Cluster) rebalanceDefaults() {
	if r := c.Swarm.Rebalance; r != nil && r.After == "" {
		r.After = DefaultRebalanceAfter
	}
}

// AutoRebalance says whether the file asks for automatic rebalancing, and
// after how long every node has been ready.
func (c *Cluster) AutoRebalance() (after time.Duration, on bool) {
	r := c.Swarm.Rebalance
	if r == nil || !r.Auto {
		return 0, false
	}
	s := r.After
	if s == "" {
		s = DefaultRebalanceAfter
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, false
	}
	return d, true
}

func (v *validator) rebalance() {
	r := v.c.Swarm.Rebalance
	if r == nil || r.After == "" {
		return
	}
	const p = "swarm.rebalance.after"
	d, err := time.ParseDuration(r.After)
	switch {
	case err != nil:
		v.add(p, "%q is not a duration; use a value such as 60s or 5m (default %s)", r.After, DefaultRebalanceAfter)
	case d < minRebalanceAfter || d > maxRebalanceAfter:
		v.add(p, "%s is out of range; allowed 10s..24h, how long every node must have been ready before tasks move (default %s)", r.After, DefaultRebalanceAfter)
	}
}
