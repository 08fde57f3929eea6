// Package storage is skep's shared storage: a GlusterFS server in a plain
// container (skep-glusterd) on each brick host, one replica-3 volume across
// them, and the volume mounted with the FUSE client on every host by a
// systemd mount unit. This package renders what runs on a host (container
// spec, volume options, mount unit, gluster commands) and parses what the
// hosts report; apply and status drive it.
package storage

import (
	"fmt"
	"path"
	"strings"

	"skep/internal/config"
	"skep/internal/host"
)

const (
	// ContainerName is the GlusterFS server container on each brick host.
	ContainerName = "skep-glusterd"
	// StateDir holds glusterd's state (peer identity, volume definitions)
	// on the host, so a new container is still the same peer.
	StateDir = "/var/lib/skep/glusterd"
	// LogDir keeps brick and self-heal logs on the host for diagnosis.
	LogDir = "/var/log/skep/glusterfs"
)

// BrickRef is a brick as GlusterFS names it: ADDRESS:PATH.
func BrickRef(h config.Host, s *config.Storage) string {
	return h.Address + ":" + s.Brick
}

// Gluster is the command line running the gluster CLI in the host's
// container, in script mode (no prompts) with XML output where asked.
// Arguments are skep's own names and validated values, never user text
// that could carry shell syntax (config validation guarantees it).
func Gluster(args ...string) string {
	return "docker exec " + ContainerName + " gluster --mode=script " + strings.Join(args, " ")
}

// CreateVolumeCommand creates the volume over the brick hosts (replica 3,
// or replica 3 arbiter 1 with the last brick as arbiter). Never with
// "force": gluster's checks (brick on the root disk of a real host, brick
// already part of a volume) are there to protect data.
func CreateVolumeCommand(c *config.Cluster) string {
	s := c.Storage
	args := []string{"volume", "create", s.Volume, "replica", fmt.Sprint(s.Replica)}
	if s.Arbiter {
		args = append(args, "arbiter", "1")
	}
	for _, h := range c.BrickHosts() {
		args = append(args, host.ShellQuote(BrickRef(h, s)))
	}
	return Gluster(args...)
}

// brickParent is the host directory bind-mounted into the container that
// holds the brick: gluster refuses a brick that is itself a mount point.
func brickParent(s *config.Storage) string { return path.Dir(s.Brick) }
