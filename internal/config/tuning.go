package config

import (
	"fmt"
	"time"
)

// skep departs from the stock timings of the components it runs where the
// stock ones make a failure last much longer than the cluster needs. Each
// value is chosen on purpose (README "Tuning" says what it gains and what
// it trades away), shown by `skep plan`, and may be changed here. The
// stock values live in the packages that apply them; internal/tuning
// lists both side by side.

// Tuning defaults: Go durations, as they are written in the file.
const (
	// A node is marked down after about three missed heartbeats: ~6 s,
	// not swarm's ~15 s, before its tasks start elsewhere. Not 1 s: after
	// a leader election the new leader marks every node down that has not
	// registered within six heartbeats, and a node's agent waits up to 8 s
	// between tries to reach a manager (its backoff, not tunable). With
	// 1 s, live nodes were marked down after elections on the lab, and one,
	// registering in the same millisecond it was marked down, stayed down
	// with a live session for minutes (its global tasks, Traefik among
	// them, shut down). 2 s gives them 12 s.
	DefaultDispatcherHeartbeat = "2s"
	// A crashed task starts again at once rather than after swarm's 5 s.
	DefaultRestartDelay = "0s"
	// GlusterFS's stock 42 s stalls every client that long (up to twice
	// that, since requests reset the timer) when a node freezes or is cut
	// off, because a frozen node still answers TCP. 5 s measured 6.5 s
	// stalls instead of 58 s, and heals 0.5-4 s after the node returns;
	// but across e2e runs on a loaded 2-core machine its write stalls
	// reached 9.4 s, against the 10 s promise (a stall lasts 1x to 2x the
	// timeout). 4 s keeps the worst case near 8 s. Lower still risks
	// spurious disconnects (and heals) under load.
	DefaultStoragePingTimeout = "4s"
	// Traefik lists the swarm's services this often: a new or moved
	// service is routed within ~2 s rather than Traefik's 15 s.
	DefaultIngressRefresh = "2s"
)

// Bounds of the tuning values. Below the lower ones the components spend
// their time on bookkeeping or take healthy peers for dead; above the
// upper ones a failure goes unnoticed for longer than anyone would want.
const (
	minDispatcherHeartbeat = 500 * time.Millisecond
	maxDispatcherHeartbeat = 60 * time.Second
	maxRestartDelay        = 10 * time.Minute
	minStoragePingTimeout  = time.Second
	// GlusterFS refuses a network.ping-timeout above 1013 s.
	maxStoragePingTimeout = 1013 * time.Second
	minIngressRefresh     = 500 * time.Millisecond
	maxIngressRefresh     = 10 * time.Minute
)

// Tuning holds the timings skep sets on the components it runs, each a Go
// duration such as 500ms, 2s or 1m; unset means skep's default.
type Tuning struct {
	// DispatcherHeartbeat is how often swarm nodes report to the managers
	// (swarm's dispatcher heartbeat period; stock 5s).
	DispatcherHeartbeat string `yaml:"dispatcher_heartbeat,omitempty"`
	// RestartDelay is the restart delay of services `skep stack deploy`
	// creates when the compose file sets none and the service restarts
	// (stock 5s).
	RestartDelay string `yaml:"restart_delay,omitempty"`
	// StoragePingTimeout is GlusterFS's network.ping-timeout, in whole
	// seconds (stock 42s).
	StoragePingTimeout string `yaml:"storage_ping_timeout,omitempty"`
	// IngressRefresh is how often Traefik re-reads the swarm's services
	// (its swarm provider's refreshSeconds; stock 15s).
	IngressRefresh string `yaml:"ingress_refresh,omitempty"`
}

// Heartbeat is the dispatcher heartbeat period in effect.
func (t Tuning) Heartbeat() time.Duration {
	return tuned(t.DispatcherHeartbeat, DefaultDispatcherHeartbeat)
}

// Restart is the restart delay in effect.
func (t Tuning) Restart() time.Duration { return tuned(t.RestartDelay, DefaultRestartDelay) }

// StoragePing is GlusterFS's ping timeout in effect.
func (t Tuning) StoragePing() time.Duration {
	return tuned(t.StoragePingTimeout, DefaultStoragePingTimeout)
}

// IngressRefreshPeriod is Traefik's swarm refresh in effect.
func (t Tuning) IngressRefreshPeriod() time.Duration {
	return tuned(t.IngressRefresh, DefaultIngressRefresh)
}

// tuned parses a value, falling back to the default when it is unset (a
// cluster built in code, before defaults) or invalid (Validate reports
// that; nothing runs with it).
func tuned(value, def string) time.Duration {
	if d, err := time.ParseDuration(value); err == nil {
		return d
	}
	d, _ := time.ParseDuration(def)
	return d
}

func (c *Cluster) tuningDefaults() {
	t := &c.Tuning
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&t.DispatcherHeartbeat, DefaultDispatcherHeartbeat},
		{&t.RestartDelay, DefaultRestartDelay},
		{&t.StoragePingTimeout, DefaultStoragePingTimeout},
		{&t.IngressRefresh, DefaultIngressRefresh},
	} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
}

func (v *validator) tuning() {
	t := v.c.Tuning
	v.duration("tuning.dispatcher_heartbeat", t.DispatcherHeartbeat, minDispatcherHeartbeat, maxDispatcherHeartbeat, 0,
		DefaultDispatcherHeartbeat, "swarm's own 5s")
	v.duration("tuning.restart_delay", t.RestartDelay, 0, maxRestartDelay, 0,
		DefaultRestartDelay, "swarm's own 5s")
	v.duration("tuning.storage_ping_timeout", t.StoragePingTimeout, minStoragePingTimeout, maxStoragePingTimeout, time.Second,
		DefaultStoragePingTimeout, "GlusterFS's own 42s")
	v.duration("tuning.ingress_refresh", t.IngressRefresh, minIngressRefresh, maxIngressRefresh, 0,
		DefaultIngressRefresh, "Traefik's own 15s")
}

// duration checks a duration field: parsable, within min..max and, when
// step is set, a whole number of steps. Unset is fine (the default).
func (v *validator) duration(path, value string, min, max, step time.Duration, def, stock string) {
	if value == "" {
		return
	}
	d, err := time.ParseDuration(value)
	allowed := fmt.Sprintf("allowed %s..%s", short(min), short(max))
	if step > 0 {
		allowed += " in whole seconds"
	}
	switch {
	case err != nil:
		v.add(path, "%q is not a duration; write a number and a unit (ms, s, m) such as %s; %s (default %s, %s)", value, def, allowed, def, stock)
	case d < min || d > max:
		v.add(path, "%s is out of range; %s (default %s, %s)", value, allowed, def, stock)
	case step > 0 && d%step != 0:
		v.add(path, "%s is not allowed; %s (default %s, %s)", value, allowed, def, stock)
	}
}

// short writes a bound as a person would: 500ms, 60s, 10m, 1013s.
func short(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Minute == 0 && d < time.Hour && d >= 5*time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}
