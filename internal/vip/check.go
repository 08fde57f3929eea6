package vip

import (
	"skep/internal/config"
)

// Check is what keepalived's track script asks on each host: whether the
// local service the VIP exists for answers.
type Check struct {
	Kind   string // "http": GET Target; "docker": the engine's /_ping on the socket Target
	Target string
}

// TraefikPingPort is where every manager's Traefik answers /ping (published
// in host mode by the ingress phase; the agreed contract between them).
const TraefikPingPort = 8082

// DockerSocket is the engine's socket, mounted into skep-keepalived (read
// only) when the engine is what is tracked.
const DockerSocket = "/var/run/docker.sock"

// The checks skep uses.
var (
	TraefikPing  = Check{Kind: "http", Target: "http://127.0.0.1:8082/ping"}
	DockerEngine = Check{Kind: "docker", Target: DockerSocket}
)

// ingressPhaseExists says whether apply deploys Traefik. Until it does, the
// VIP tracks the local Docker engine (what the ingress will run on); set it
// when the ingress phase lands, and the VIP tracks Traefik wherever the
// cluster file has an ingress section.
const ingressPhaseExists = false

// TrackCheck is the one place that decides what the VIP tracks.
func TrackCheck(c *config.Cluster) Check {
	if ingressPhaseExists && c.Ingress != nil {
		return TraefikPing
	}
	return DockerEngine
}

// Command is the track script's command line in the container.
func (c Check) Command() string {
	return "/usr/local/bin/skep-vip-check " + c.Kind + " " + c.Target
}
