package ingress

import (
	"strconv"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"skep/internal/image"
)

// TraefikRecipe builds the pinned Traefik from its module source into a
// FROM scratch image with the binary at /traefik, for nodes that cannot
// pull the official image.
func TraefikRecipe() image.GoProgram {
	return image.GoProgram{
		Name:    "traefik",
		Module:  "github.com/traefik/traefik/v3",
		Version: TraefikVersion,
		Package: "./cmd/traefik",
		LDFlags: "-X github.com/traefik/traefik/v3/pkg/version.Version=" + TraefikVersion,
	}
}

// Paths inside the Traefik container.
const (
	usersFile     = "/run/secrets/" + UsersSecret
	apiConfigFile = "/etc/skep/traefik-api.yml"
)

// swarmRefresh is how often Traefik re-reads services through the proxy:
// a new service is routed within about this long.
const swarmRefresh = 2 * time.Second

// TraefikOptions are the choices that shape Traefik's service.
type TraefikOptions struct {
	Image string // image to run: the official one or skep's build
	// API turns on Traefik's API (no dashboard) on APIPort over HTTPS,
	// behind basic auth; APIConfig names the swarm config holding the
	// API's router (APIConfigName).
	API       bool
	APIPort   int
	APIConfig string
}

// TraefikArgs is Traefik's static configuration as command-line flags: no
// secret is ever among them (the API's users come from a secret file).
func TraefikArgs(o TraefikOptions) []string {
	args := []string{
		"--global.checkNewVersion=false",
		"--global.sendAnonymousUsage=false",
		"--log.level=INFO",
		"--log.noColor=true",
		"--accesslog=true",
		"--entrypoints." + EntryPointWeb + ".address=:80",
		"--entrypoints." + EntryPointWeb + ".http.redirections.entrypoint.to=" + EntryPointWebSecure,
		"--entrypoints." + EntryPointWeb + ".http.redirections.entrypoint.scheme=https",
		"--entrypoints." + EntryPointWeb + ".http.redirections.entrypoint.permanent=true",
		"--entrypoints." + EntryPointWeb + ".http.redirections.entrypoint.priority=" + strconv.Itoa(RedirectPriority),
		"--entrypoints." + EntryPointWebSecure + ".address=:443",
		"--entrypoints." + EntryPointWebSecure + ".http.tls=true",
		"--entrypoints." + EntryPointPing + ".address=:" + strconv.Itoa(PingPort),
		"--ping=true",
		"--ping.entrypoint=" + EntryPointPing,
		"--providers.swarm=true",
		"--providers.swarm.endpoint=tcp://" + ProxyService + ":" + strconv.Itoa(ProxyPort),
		"--providers.swarm.exposedByDefault=false",
		"--providers.swarm.network=" + PublicNetwork,
		"--providers.swarm.refreshSeconds=" + swarmRefresh.String(),
		"--providers.http.endpoint=" + ControllerConfigURL,
		"--providers.http.pollInterval=5s",
		"--providers.http.pollTimeout=3s",
	}
	if o.API {
		args = append(args,
			"--api=true",
			"--api.dashboard=false",
			"--entrypoints."+EntryPointAPI+".address=:"+strconv.Itoa(o.APIPort),
			"--entrypoints."+EntryPointAPI+".http.tls=true",
			"--providers.file.filename="+apiConfigFile,
		)
	}
	return args
}

// TraefikSpec is Traefik's swarm service: one task on every manager, ports
// published in host mode (no routing mesh: the VIP finds an ingress on
// whichever manager holds it), on the public network to reach backends and
// on the proxy network to read the Docker API. IDs of the secret and config
// are left empty; the caller fills them in before creating the service.
func TraefikSpec(o TraefikOptions) swarm.ServiceSpec {
	ports := []swarm.PortConfig{hostPort(80), hostPort(443), hostPort(PingPort)}
	c := &swarm.ContainerSpec{
		Image:           o.Image,
		Args:            TraefikArgs(o),
		StopGracePeriod: durationPtr(10 * time.Second),
	}
	if o.API {
		ports = append(ports, hostPort(o.APIPort))
		c.Secrets = []*swarm.SecretReference{{
			SecretName: UsersSecret,
			File:       &swarm.SecretReferenceFileTarget{Name: UsersSecret, UID: "0", GID: "0", Mode: 0o400},
		}}
		c.Configs = []*swarm.ConfigReference{{
			ConfigName: o.APIConfig,
			File:       &swarm.ConfigReferenceFileTarget{Name: apiConfigFile, UID: "0", GID: "0", Mode: 0o444},
		}}
	}
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: TraefikService, Labels: map[string]string{ComponentLabel: "ingress"}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: c,
			Placement:     &swarm.Placement{Constraints: []string{"node.role==manager"}},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: PublicNetwork}, {Target: ProxyNetwork}},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, Delay: durationPtr(time.Second)},
		},
		Mode: swarm.ServiceMode{Global: &swarm.GlobalService{}},
		// One manager at a time, stopped before its successor starts: host
		// ports cannot be held twice, and the VIP moves to a serving node.
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Delay: 2 * time.Second, Order: swarm.UpdateOrderStopFirst,
			FailureAction: swarm.UpdateFailureActionPause, Monitor: 5 * time.Second},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR, Ports: ports},
	}
}

func hostPort(p int) swarm.PortConfig {
	return swarm.PortConfig{Protocol: swarm.PortConfigProtocolTCP, TargetPort: uint32(p), PublishedPort: uint32(p),
		PublishMode: swarm.PortConfigPublishModeHost}
}

func durationPtr(d time.Duration) *time.Duration { return &d }
