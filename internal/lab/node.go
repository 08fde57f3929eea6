package lab

import (
	"bytes"
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"golang.org/x/crypto/ssh"
)

// nodeHostConfig is what makes a container machine-like: systemd as PID 1
// running its own Docker engine, GlusterFS (FUSE) and keepalived. The flags
// are the ones verified on the VMs skep is tested on: --privileged fails
// there because the VM's bounding set lacks CAP_SYS_RESOURCE, so every
// other capability is granted instead.
func nodeHostConfig(lab string) *container.HostConfig {
	return &container.HostConfig{
		CapAdd:      []string{"ALL"},
		CapDrop:     []string{"SYS_RESOURCE"},
		SecurityOpt: []string{"seccomp=unconfined", "apparmor=unconfined"},
		// systempaths=unconfined: the CLI turns it into these empty lists;
		// the API itself does not take the option.
		MaskedPaths:   []string{},
		ReadonlyPaths: []string{},
		CgroupnsMode:  container.CgroupnsModeHost,
		Binds:         []string{"/sys/fs/cgroup:/sys/fs/cgroup:rw"},
		Tmpfs:         map[string]string{"/run": "", "/run/lock": "", "/tmp": ""},
		Resources: container.Resources{Devices: []container.DeviceMapping{{
			PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm",
		}}},
		// The inner engine needs a real filesystem under it to use overlay2
		// (on the container's own overlay it falls back to the slow vfs).
		Mounts: []mount.Mount{{
			Type: mount.TypeVolume, Target: "/var/lib/docker",
			VolumeOptions: &mount.VolumeOptions{Labels: map[string]string{labLabel: lab}},
		}, {
			// GlusterFS bricks and glusterd state: bricks need trusted.*
			// xattrs, which the container's own (fuse-)overlay root lacks.
			Type: mount.TypeVolume, Target: "/var/lib/skep",
			VolumeOptions: &mount.VolumeOptions{Labels: map[string]string{labLabel: lab}},
		}},
	}
}

// ensureNode creates and starts node i of the lab, returning its host key.
// An existing node container is started if stopped and keeps its identity.
func ensureNode(ctx context.Context, cli *client.Client, l *Lab, image string, i int, login ssh.PublicKey) (ssh.PublicKey, error) {
	node := NodeName(i)
	name := ContainerName(l.Name, node)
	ip := nodeIP(l.Subnet, i)
	if info, err := cli.ContainerInspect(ctx, name); err == nil {
		key, err := readHostKey(ctx, cli, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", node, err)
		}
		if info.State.Paused {
			return key, cli.ContainerUnpause(ctx, name)
		}
		if !info.State.Running {
			return key, cli.ContainerStart(ctx, name, container.StartOptions{})
		}
		return key, nil
	} else if !errdefs.IsNotFound(err) {
		return nil, err
	}

	hostKey, err := newKeyPair("root@" + node)
	if err != nil {
		return nil, err
	}
	cfg := &container.Config{
		Image:    image,
		Hostname: node,
		// systemd shuts down cleanly on SIGRTMIN+3, not on SIGTERM.
		StopSignal: "SIGRTMIN+3",
		Env:        []string{"container=docker"},
		Labels:     map[string]string{labLabel: l.Name, "skep.lab.node": node},
	}
	netCfg := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
		l.Network: {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: ip}},
	}}
	created, err := cli.ContainerCreate(ctx, cfg, nodeHostConfig(l.Name), netCfg, nil, name)
	if err != nil {
		return nil, fmt.Errorf("%s: create container %s: %w", node, name, err)
	}
	secrets, err := nodeSecrets(hostKey, login)
	if err != nil {
		return nil, err
	}
	if err := cli.CopyToContainer(ctx, created.ID, "/", bytes.NewReader(secrets), container.CopyToContainerOptions{}); err != nil {
		return nil, fmt.Errorf("%s: copy keys: %w", node, err)
	}
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return nil, fmt.Errorf("%s: start container %s: %w", node, name, err)
	}
	return hostKey.public, nil
}

// readHostKey reads the public host key back from an existing node, so a
// lab whose state directory was lost can still write an exact known_hosts.
func readHostKey(ctx context.Context, cli *client.Client, name string) (ssh.PublicKey, error) {
	rc, _, err := cli.CopyFromContainer(ctx, name, "/etc/ssh/ssh_host_ed25519_key.pub")
	if err != nil {
		return nil, fmt.Errorf("read host key: %w", err)
	}
	defer rc.Close()
	data, err := untarFirst(rc)
	if err != nil {
		return nil, err
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey(data)
	return key, err
}
