package ingress

import (
	"time"

	"github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
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

// Paths inside the Traefik container. The file provider reads every file
// of dynamicDir: the defaults always, the API's router when it is on.
const (
	usersFile          = "/run/secrets/" + UsersSecret
	dynamicDir         = "/etc/skep/traefik"
	defaultsConfigFile = dynamicDir + "/defaults.yml"
	apiConfigFile      = dynamicDir + "/api.yml"
)

// StockSwarmRefresh is how often Traefik's swarm provider re-reads the
// services unless told otherwise (its refreshSeconds). skep's value comes
// from the cluster file's tuning.ingress_refresh.
const StockSwarmRefresh = 15 * time.Second

// TraefikOptions are the choices that shape Traefik's service.
type TraefikOptions struct {
	Image string // image to run: the official one or skep's build
	// API turns on Traefik's API (no dashboard) on APIPort over HTTPS,
	// behind basic auth; APIConfig names the swarm config holding the
	// API's router (APIConfigName).
	API       bool
	APIPort   int
	APIConfig string
	// Refresh is how often Traefik re-reads the services through the
	// proxy: a new or moved service is routed within about this long.
	// 0 means the cluster file's default.
	Refresh time.Duration
}

// refresh is the swarm provider's refresh period to render.
func (o TraefikOptions) refresh() time.Duration {
	if o.Refresh > 0 {
		return o.Refresh
	}
	return config.Tuning{}.IngressRefreshPeriod()
}

// TraefikArgs is Traefik's command line: only the path of its static
// configuration file (StaticConfig), so no secret is ever in its argv.
func TraefikArgs(TraefikOptions) []string {
	return []string{"--configFile=" + staticFile}
}

// TraefikSpec is Traefik's swarm service: one task on every manager, ports
// published in host mode (no routing mesh: the VIP finds an ingress on
// whichever manager holds it), on the public network to reach backends, on
// the proxy network to read the Docker API and on the controller's network
// to poll the controller. Its static configuration is the templated secret
// StaticSecretName(o), which reads the token from TokenSecret; its
// dynamic defaults are the config DefaultsConfigName(). IDs of the secrets
// and configs are left empty; the caller fills them in before creating
// the service.
func TraefikSpec(o TraefikOptions) swarm.ServiceSpec {
	ports := []swarm.PortConfig{hostPort(80), hostPort(443), hostPort(PingPort)}
	c := &swarm.ContainerSpec{
		Image:           o.Image,
		Args:            TraefikArgs(o),
		StopGracePeriod: durationPtr(10 * time.Second),
		Secrets: []*swarm.SecretReference{
			// The template below names the token by this target.
			{SecretName: TokenSecret, File: &swarm.SecretReferenceFileTarget{Name: TokenSecret, UID: "0", GID: "0", Mode: 0o400}},
			{SecretName: StaticSecretName(o), File: &swarm.SecretReferenceFileTarget{Name: staticTarget, UID: "0", GID: "0", Mode: 0o400}},
		},
		Configs: []*swarm.ConfigReference{{
			ConfigName: DefaultsConfigName(),
			File:       &swarm.ConfigReferenceFileTarget{Name: defaultsConfigFile, UID: "0", GID: "0", Mode: 0o444},
		}},
	}
	if o.API {
		ports = append(ports, hostPort(o.APIPort))
		c.Secrets = append(c.Secrets, &swarm.SecretReference{
			SecretName: UsersSecret,
			File:       &swarm.SecretReferenceFileTarget{Name: UsersSecret, UID: "0", GID: "0", Mode: 0o400},
		})
		c.Configs = append(c.Configs, &swarm.ConfigReference{
			ConfigName: o.APIConfig,
			File:       &swarm.ConfigReferenceFileTarget{Name: apiConfigFile, UID: "0", GID: "0", Mode: 0o444},
		})
	}
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: TraefikService, Labels: map[string]string{ComponentLabel: "ingress"}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: c,
			Placement:     &swarm.Placement{Constraints: []string{"node.role==manager"}},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: PublicNetwork}, {Target: ProxyNetwork}, {Target: ControllerNetwork}},
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
