package vip

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// ContainerName is the node service's container on every keepalived host.
const ContainerName = "skep-keepalived"

// SpecLabel holds the hash of the container's spec, so apply recreates the
// container exactly when the spec (image, mounts, capabilities) changes.
const SpecLabel = "skep.spec"

// Spec is the container skep runs on a keepalived host.
type Spec struct {
	Config *container.Config
	Host   *container.HostConfig
}

// ContainerSpec describes skep-keepalived: skep's agent (the image's
// entrypoint, `skep vip-agent`) with keepalived as its child, in the
// host's network namespace (the VIP and the adverts live on the host's
// interface), with only the capabilities keepalived needs: NET_ADMIN to add
// and remove the VIP, NET_RAW for VRRP's raw socket, NET_BROADCAST for
// gratuitous ARP, SYS_NICE for real-time scheduling. A read-only root with
// a tmpfs /run, the config read-only, restarted always (after a crash or a
// reboot). The engine's socket is mounted only when the engine is what is
// tracked. rtBudget gives the container's cgroup a real-time budget, which
// only hosts whose kernel schedules real-time tasks by cgroup need, and
// only where the engine's cgroup has the budget to give (see
// HostFacts.RealTime): without real-time group scheduling the engine
// refuses the setting and SYS_NICE alone allows SCHED_RR.
func ContainerSpec(image string, check Check, rtBudget bool) Spec {
	binds := []string{ConfigDir + ":" + ConfigDir + ":ro"}
	if check.Kind == DockerEngine.Kind {
		binds = append(binds, check.Target+":"+check.Target+":ro")
	}
	s := Spec{
		Config: &container.Config{
			Image:  image,
			Cmd:    check.Args(),
			Labels: map[string]string{"skep.component": "vip"},
		},
		Host: &container.HostConfig{
			NetworkMode:    "host",
			CapDrop:        []string{"ALL"},
			CapAdd:         []string{"NET_ADMIN", "NET_RAW", "NET_BROADCAST", "SYS_NICE"},
			SecurityOpt:    []string{"no-new-privileges"},
			ReadonlyRootfs: true,
			Tmpfs:          map[string]string{"/run": "rw,nosuid,nodev,size=16m", "/tmp": "rw,nosuid,nodev,size=16m"},
			Binds:          binds,
			RestartPolicy:  container.RestartPolicy{Name: container.RestartPolicyAlways},
		},
	}
	if rtBudget {
		s.Host.Resources.CPURealtimeRuntime = RTRuntime
	}
	s.Config.Labels[SpecLabel] = s.Hash()
	return s
}

// Hash identifies the spec (without its own label).
func (s Spec) Hash() string {
	cfg := *s.Config
	labels := map[string]string{}
	for k, v := range cfg.Labels {
		if k != SpecLabel {
			labels[k] = v
		}
	}
	cfg.Labels = labels
	data, _ := json.Marshal(struct {
		C *container.Config
		H *container.HostConfig
	}{&cfg, s.Host})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:12]
}

// Running is what a host's engine says of skep-keepalived.
type Running struct {
	Exists   bool
	Running  bool
	Image    string
	SpecHash string
}

// Inspect reads skep-keepalived's state on a host.
func Inspect(ctx context.Context, cli client.APIClient) (Running, error) {
	info, err := cli.ContainerInspect(ctx, ContainerName)
	if errdefs.IsNotFound(err) {
		return Running{}, nil
	}
	if err != nil {
		return Running{}, err
	}
	r := Running{Exists: true, Image: info.Config.Image, SpecHash: info.Config.Labels[SpecLabel]}
	if info.State != nil {
		r.Running = info.State.Running && !info.State.Paused
	}
	return r, nil
}

// Replace removes any skep-keepalived and starts one with spec. Removing
// the holder's container releases the VIP (keepalived drops it on exit and
// a backup takes over within a second); apply replaces the holder last.
func Replace(ctx context.Context, cli client.APIClient, s Spec) error {
	if err := Remove(ctx, cli); err != nil {
		return err
	}
	created, err := cli.ContainerCreate(ctx, s.Config, s.Host, nil, nil, ContainerName)
	if err != nil {
		return fmt.Errorf("create %s: %w", ContainerName, err)
	}
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return fmt.Errorf("start %s: %w (see docker logs %s)", ContainerName, err, ContainerName)
	}
	return nil
}

// Remove stops and removes skep-keepalived if it exists. keepalived gets a
// few seconds to give the VIP up cleanly (it sends a priority-0 advert, so
// a backup takes over at once).
func Remove(ctx context.Context, cli client.APIClient) error {
	timeout := 5
	err := cli.ContainerStop(ctx, ContainerName, container.StopOptions{Timeout: &timeout})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("stop %s: %w", ContainerName, err)
	}
	err = cli.ContainerRemove(ctx, ContainerName, container.RemoveOptions{Force: true})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("remove %s: %w", ContainerName, err)
	}
	return nil
}

// Reload makes a running keepalived re-read its config (SIGHUP): the VIP
// stays where it is, and the holder keeps its master bonus.
func Reload(ctx context.Context, cli client.APIClient) error {
	if err := cli.ContainerKill(ctx, ContainerName, "HUP"); err != nil {
		return fmt.Errorf("reload %s: %w", ContainerName, err)
	}
	return nil
}
