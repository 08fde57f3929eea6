// Package tuning lists the timings skep sets on purpose where the
// components it runs have stock ones: each with the value in effect (from
// the cluster file), the component's stock value and why, in one line of
// what it gains and what it trades away. `skep plan` prints the list. The
// values are applied by the packages that own the components, and the
// stock values are defined there; this package only reads both.
package tuning

import (
	"fmt"
	"time"

	"skep/internal/config"
	"skep/internal/ingress"
	"skep/internal/storage"
	"skep/internal/swarm"
	"skep/internal/vip"
)

// Setting is one tuned value.
type Setting struct {
	// Name is where the cluster file sets it, e.g. tuning.restart_delay.
	Name   string `json:"name"`
	Value  string `json:"value"`
	Stock  string `json:"stock"`
	Reason string `json:"reason"`
}

// String is the setting as plan prints it.
func (s Setting) String() string {
	return fmt.Sprintf("%s %s (stock %s): %s", s.Name, s.Value, s.Stock, s.Reason)
}

// Of lists the settings in effect for c, in a fixed order. A setting of a
// component the file does not run (storage, vip, ingress) is left out:
// it changes nothing.
func Of(c *config.Cluster) []Setting {
	t := c.Tuning
	hb := t.Heartbeat()
	out := []Setting{
		setting("tuning.dispatcher_heartbeat", hb, swarm.StockDispatcherHeartbeat,
			"a node that stops answering is marked down, and its tasks start elsewhere, after ~%s (three missed heartbeats), not ~%s; "+
				"costs more heartbeat traffic to the managers, and a node too loaded to answer in time, or whose agent is slow to find a new leader after an election, is marked down by mistake (below 2s that happened on the lab; raise it if it happens)",
			3*hb, 3*swarm.StockDispatcherHeartbeat),
		setting("tuning.restart_delay", t.Restart(), swarm.StockRestartDelay,
			"a crashed task of a stack service that sets no delay starts again after %s, not %s; "+
				"a service that crashes at once restarts in a tight loop (set deploy.restart_policy.delay in its file)",
			t.Restart(), swarm.StockRestartDelay),
	}
	if c.Storage != nil {
		ping := t.StoragePing()
		out = append(out, setting("tuning.storage_ping_timeout", ping, storage.StockPingTimeout,
			"a frozen or cut-off node stalls the volume's clients for ~%s-%s, not %s-%s; "+
				"a node slower than that under load is disconnected and healed needlessly",
			ping, 2*ping, storage.StockPingTimeout, 2*storage.StockPingTimeout))
	}
	if c.VIP != nil {
		adv := c.VIP.Advert()
		if adv <= 0 { // a cluster built in code, before defaults
			adv, _ = time.ParseDuration(config.DefaultVIPAdvertInterval)
		}
		out = append(out, setting("vip.advert_interval", adv, vip.StockAdvert,
			"the VIP moves after ~%s-%s without adverts from its holder (three missed ones plus skew), not ~%s-%s; "+
				"keepalived sends an advert every %s, not every %s, and a holder stalled for ~%s gives the VIP up needlessly (keepalived runs at real-time priority against it)",
			3*adv, 4*adv, 3*vip.StockAdvert, 4*vip.StockAdvert, adv, vip.StockAdvert, 3*adv))
	}
	if c.Ingress != nil {
		r := t.IngressRefreshPeriod()
		out = append(out, setting("tuning.ingress_refresh", r, ingress.StockSwarmRefresh,
			"a new or moved service is routed within ~%s, not ~%s; "+
				"Traefik lists the swarm's services that often, through the proxy to a manager's Docker API",
			r, ingress.StockSwarmRefresh))
	}
	return out
}

func setting(name string, value, stock time.Duration, reason string, args ...any) Setting {
	return Setting{Name: name, Value: value.String(), Stock: stock.String(), Reason: fmt.Sprintf(reason, args...)}
}
