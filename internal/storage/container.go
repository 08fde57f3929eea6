package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/docker/docker/api/types/container"

	"skep/internal/config"
)

// Labels on skep-glusterd: the component, and the hash of the spec it was
// created from, so apply recreates it only when the spec changed.
const (
	LabelComponent  = "skep.component"
	LabelConfigHash = "skep.config-hash"
)

// Spec is the skep-glusterd container of one host.
type Spec struct {
	Config *container.Config
	Host   *container.HostConfig
	Hash   string
}

// ContainerSpec is the container apply runs: host network (GlusterFS peers,
// bricks and clients talk on the host's address and ports 24007, 49152+),
// restart always (it comes back with the engine after a reboot, before and
// without the swarm), and state, logs and brick in host directories so a
// new container (or a new image) keeps the peer identity and the data.
func ContainerSpec(image string, s *config.Storage) Spec {
	parent := brickParent(s)
	cfg := &container.Config{
		Image:  image,
		Labels: map[string]string{LabelComponent: "storage"},
	}
	hc := &container.HostConfig{
		NetworkMode:   "host",
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways},
		Binds: []string{
			StateDir + ":/var/lib/glusterd",
			LogDir + ":/var/log/glusterfs",
			parent + ":" + parent,
		},
		// Bricks keep GlusterFS metadata in trusted.* extended attributes,
		// which only CAP_SYS_ADMIN may write. Nothing wider (--privileged)
		// is needed.
		CapAdd: []string{"SYS_ADMIN"},
		// glusterd mounts the volume itself (FUSE) for some operations,
		// such as reset-brick when a lost brick is rebuilt; the engine's
		// default AppArmor profile forbids mounts.
		Resources: container.Resources{Devices: []container.DeviceMapping{{
			PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm",
		}}},
		SecurityOpt: []string{"apparmor=unconfined"},
	}
	sum, _ := json.Marshal(struct {
		C *container.Config
		H *container.HostConfig
	}{cfg, hc})
	h := sha256.Sum256(sum)
	hash := hex.EncodeToString(h[:])[:16]
	cfg.Labels[LabelConfigHash] = hash
	return Spec{Config: cfg, Host: hc, Hash: hash}
}

// Dirs are the host directories the container needs before it starts.
// The brick itself is not among them: gluster creates it with the volume,
// and a brick directory that vanished (a disk not mounted) must stay
// missing so its brick refuses to start rather than serve an empty copy.
func Dirs(s *config.Storage) []string {
	return []string{StateDir, LogDir, brickParent(s)}
}
