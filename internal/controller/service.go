package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"skep/internal/ingress"
)

// Names of what apply makes for the controller.
const (
	// ServiceName is the controller's swarm service; Traefik reaches it by
	// this name on the public network.
	ServiceName = ingress.ControllerService
	// RootsConfigPrefix starts the swarm configs holding the CA's extra
	// roots, named by content (swarm configs cannot change).
	RootsConfigPrefix = "skep-acme-roots-"
	// rootsPath is where the roots appear in the controller's container.
	rootsPath = "/etc/skep/acme-roots.pem"
)

// ServiceOptions is the controller's service as declared.
type ServiceOptions struct {
	Image       string // a skep image whose entrypoint is `skep skepd`
	CAURL       string
	Email       string
	Names       []string
	RootsConfig string // swarm config with the CA's extra roots; "" for none
}

// RootsConfigName names the swarm config for roots by their content.
func RootsConfigName(roots []byte) string {
	sum := sha256.Sum256(roots)
	return RootsConfigPrefix + hex.EncodeToString(sum[:])[:12]
}

// ServiceSpec is the controller's swarm service: one replica on a manager,
// its state on the shared volume, on the public network (Traefik polls it
// and sends it challenges) and the socket proxy's (it reads services'
// labels there, never the Docker socket). It restarts at once when it
// dies, and an update stops the old task before the new one starts, so
// two controllers never order at the same time.
func ServiceSpec(o ServiceOptions) swarm.ServiceSpec {
	args := []string{"--state-dir", DefaultStateDir, "--ca-url", o.CAURL, "--email", o.Email}
	if len(o.Names) > 0 {
		args = append(args, "--names", strings.Join(o.Names, ","))
	}
	c := &swarm.ContainerSpec{
		Image:  o.Image,
		Args:   args,
		Mounts: []mount.Mount{{Type: mount.TypeBind, Source: DefaultStateDir, Target: DefaultStateDir}},
	}
	if o.RootsConfig != "" {
		c.Args = append(c.Args, "--ca-roots", rootsPath)
		c.Configs = []*swarm.ConfigReference{{
			ConfigName: o.RootsConfig,
			File:       &swarm.ConfigReferenceFileTarget{Name: rootsPath, UID: "0", GID: "0", Mode: 0o444},
		}}
	}
	one := uint64(1)
	restart := time.Second
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: ServiceName, Labels: map[string]string{ingress.ComponentLabel: "controller"}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: c,
			Placement:     &swarm.Placement{Constraints: []string{"node.role==manager"}},
			Networks: []swarm.NetworkAttachmentConfig{
				{Target: ingress.PublicNetwork}, {Target: ingress.ProxyNetwork},
			},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, Delay: &restart},
		},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Order: swarm.UpdateOrderStopFirst, FailureAction: swarm.UpdateFailureActionPause},
		// The lab kernel (and others) lack IPVS: DNS round robin works
		// everywhere and a single replica needs no load balancing.
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
}
