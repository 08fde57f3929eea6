package bench

import (
	"fmt"
	"os"
	"path/filepath"

	"skep/internal/config"
	"skep/internal/ingress"
	"skep/internal/placement"
	"skep/internal/storage"
	"skep/internal/swarm"
	"skep/internal/vip"
)

// stockCluster is the lab's cluster file with the timings every component
// ships with instead of skep's tuning: swarm's 5 s heartbeat and restart
// delay, GlusterFS's 42 s ping timeout, Traefik's 15 s refresh and
// keepalived's 1 s adverts (VRRPv3 still, which the file cannot change).
func stockCluster(skep *config.Cluster) *config.Cluster {
	c := *skep
	c.Tuning = config.Tuning{
		DispatcherHeartbeat: swarm.StockDispatcherHeartbeat.String(),
		RestartDelay:        swarm.StockRestartDelay.String(),
		StoragePingTimeout:  storage.StockPingTimeout.String(),
		IngressRefresh:      ingress.StockSwarmRefresh.String(),
	}
	if skep.VIP != nil {
		v := *skep.VIP
		v.AdvertInterval = vip.StockAdvert.String()
		c.VIP = &v
	}
	return &c
}

// stockOverride writes a compose file that, merged after the example's,
// lets its service run anywhere, the leader too, as docker would place it.
// It lives in a directory of its own, which the caller removes.
func stockOverride(service string) (string, error) {
	dir, err := os.MkdirTemp("", "skep-bench-failover-")
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "stock.yaml")
	body := fmt.Sprintf("services:\n  %s:\n    deploy:\n      labels:\n        %s: %s\n", service, placement.OptOutLabel, placement.OptOutAllow)
	return file, os.WriteFile(file, []byte(body), 0o644)
}
