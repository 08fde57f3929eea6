package vip

import (
	"skep/internal/config"
	"skep/internal/ingress"
)

// Check is what keepalived's track script asks on each host: whether the
// local service the VIP exists for answers.
type Check struct {
	Kind   string // "http": GET Target; "docker": the engine's /_ping on the socket Target
	Target string
}

// DockerSocket is the engine's socket, mounted into skep-keepalived (read
// only) when the engine is what is tracked.
const DockerSocket = "/var/run/docker.sock"

// The checks skep uses.
var (
	TraefikPing  = Check{Kind: "http", Target: ingress.PingURL}
	DockerEngine = Check{Kind: "docker", Target: DockerSocket}
)

// TrackCheck is the one place that decides what the VIP tracks: the local
// Traefik's ping wherever the cluster has ingress (the VIP exists to reach
// it), else the local Docker engine.
func TrackCheck(c *config.Cluster) Check {
	if c.Ingress != nil {
		return TraefikPing
	}
	return DockerEngine
}

// Command is the track script's command line in the container.
func (c Check) Command() string {
	return "/usr/local/bin/skep-vip-check " + c.Kind + " " + c.Target
}
