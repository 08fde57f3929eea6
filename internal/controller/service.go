package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"skep/internal/ingress"
	"skep/internal/placement"
)

// Names of what apply makes for the controller.
const (
	// ServiceName is the controller's swarm service; Traefik reaches it by
	// this name on the controller's network.
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
	// StateDir is the controller's state on skep's own volume
	// (config.Cluster.ControllerStateDir), bound at the same path.
	StateDir string
}

// RootsConfigName names the swarm config for roots by their content.
func RootsConfigName(roots []byte) string {
	sum := sha256.Sum256(roots)
	return RootsConfigPrefix + hex.EncodeToString(sum[:])[:12]
}

// ServiceSpec is the controller's swarm service: one replica on a manager
// other than the swarm leader (while another manager can take it), its state on skep's own volume (mounted on every manager, never bound by
// an app). It is on no network an app can join: the controller's own
// (internal, not attachable: only Traefik, which polls it with the token
// of the token secret and sends it challenges, reaches it), the socket
// proxy's (it reads services' labels there, never the Docker socket) and
// its egress network (to reach the ACME CA). It restarts at once when it
// dies, and an update stops the old task before the new one starts, so
// two controllers never order at the same time. The one exception is a
// move off a node that has just become leader: swarm's constraint
// enforcer starts the new task first and stops the old one about 50 ms
// later (measured on the lab), so for that moment two tasks run; the
// state files they share are each written whole (see store.go).
func ServiceSpec(o ServiceOptions) swarm.ServiceSpec {
	args := []string{"--state-dir", o.StateDir, "--ca-url", o.CAURL, "--email", o.Email}
	if len(o.Names) > 0 {
		args = append(args, "--names", strings.Join(o.Names, ","))
	}
	c := &swarm.ContainerSpec{
		Image:  o.Image,
		Args:   args,
		Mounts: []mount.Mount{{Type: mount.TypeBind, Source: o.StateDir, Target: o.StateDir}},
	}
	c.Args = append(c.Args, "--token-file", ingress.TokenFile)
	c.Secrets = []*swarm.SecretReference{{
		SecretName: ingress.TokenSecret,
		File:       &swarm.SecretReferenceFileTarget{Name: ingress.TokenSecret, UID: "0", GID: "0", Mode: 0o400},
	}}
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
			// Off the swarm leader (placement.AvoidLeader): a task on the
			// leader waits for a new election when the leader dies; one on
			// a follower keeps serving.
			Placement: &swarm.Placement{Constraints: []string{"node.role==manager", placement.AvoidLeader}},
			Networks: []swarm.NetworkAttachmentConfig{
				{Target: ingress.ControllerNetwork}, {Target: ingress.ProxyNetwork}, {Target: ingress.EgressNetwork},
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
