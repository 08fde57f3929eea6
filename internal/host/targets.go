package host

import (
	"time"

	"skep/internal/config"
)

// Targets says how to reach each host of a loaded cluster file (defaults
// applied), in file order. apply, status and the lab all dial through it.
func Targets(c *config.Cluster, acceptNew bool, timeout time.Duration) []Target {
	ts := make([]Target, 0, len(c.Hosts))
	for _, h := range c.Hosts {
		ts = append(ts, Target{
			Name: h.Name, Address: h.Address, Port: h.Port, User: h.User,
			KeyFile: h.KeyFile, KnownHosts: c.SSH.KnownHosts, AcceptNew: acceptNew, DialTimeout: timeout,
		})
	}
	return ts
}
