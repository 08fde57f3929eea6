package config

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Storage defaults.
const (
	DefaultStorageVolume = "skep-data"
	DefaultStorageBrick  = "/var/lib/skep/brick"
	DefaultStorageMount  = "/var/data"
	StorageReplica       = 3
	// DefaultSystemMount is where managers mount skep's own volume. Not
	// under /var/lib/skep, the default brick's parent: skep-glusterd binds
	// that directory recursively, and a FUSE mount inside it would be
	// copied into the container, where an unmount on the host cannot reach
	// it.
	DefaultSystemMount = "/var/lib/skep-system"
)

// Storage is the shared GlusterFS volume: one brick on each of the first
// three hosts (file order), mounted on every host.
type Storage struct {
	Volume string `yaml:"volume,omitempty"` // default skep-data
	Brick  string `yaml:"brick,omitempty"`  // brick directory on each brick host; default /var/lib/skep/brick
	Mount  string `yaml:"mount,omitempty"`  // where every host mounts the volume; default /var/data
	// SystemMount is where every manager mounts skep's own volume (the
	// controller's ACME account and private keys): a second volume on the
	// same bricks hosts, so no bind of Mount reaches it. Default
	// /var/lib/skep-system.
	SystemMount string `yaml:"system_mount,omitempty"`
	Replica     int    `yaml:"replica,omitempty"` // copies of each file; only 3 is supported
	// Arbiter makes the third brick hold metadata only (replica 3 arbiter 1):
	// the same split-brain protection for a third of the disk.
	Arbiter bool `yaml:"arbiter,omitempty"`
	// Options override skep's volume options (GlusterFS "volume set" keys).
	Options map[string]string `yaml:"options,omitempty"`
	// ReplaceLostBricks lets apply rebuild a brick whose directory is gone
	// or empty (a replaced disk) from the other copies. Off, apply only
	// reports such a brick: rebuilding is a decision for a person.
	ReplaceLostBricks bool `yaml:"replace_lost_bricks,omitempty"`
}

// StorageOptionKeys are the volume options a cluster file may set: the ones
// skep tunes and the common performance and diagnostics knobs. Anything
// else is rejected so a typo never passes silently, and options that make
// GlusterFS discard a copy of a file on its own (favorite-child-policy) are
// left out on purpose: skep never trades data for availability.
var StorageOptionKeys = []string{
	"auth.allow",
	"client.event-threads",
	"cluster.data-self-heal-algorithm",
	"cluster.heal-timeout",
	"cluster.quorum-count",
	"cluster.quorum-type",
	"cluster.self-heal-daemon",
	"cluster.server-quorum-type",
	"cluster.shd-max-threads",
	"diagnostics.brick-log-level",
	"diagnostics.client-log-level",
	"features.cache-invalidation",
	"network.frame-timeout",
	"performance.cache-size",
	"performance.client-io-threads",
	"performance.io-thread-count",
	"performance.parallel-readdir",
	"performance.readdir-ahead",
	"performance.stat-prefetch",
	"performance.write-behind",
	"performance.write-behind-window-size",
	"server.event-threads",
	"storage.owner-gid",
	"storage.owner-uid",
}

// tunedStorageOptions are volume options skep sets from the tuning
// section: one place to set each, shown by plan with its reason, so
// storage.options may not set them too.
var tunedStorageOptions = map[string]struct{ path, def string }{
	"network.ping-timeout": {"tuning.storage_ping_timeout", DefaultStoragePingTimeout},
}

// volumeNameRE: GlusterFS volume names become directory and file names.
var volumeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func (c *Cluster) storageDefaults() {
	s := c.Storage
	if s == nil {
		return
	}
	if s.Volume == "" {
		s.Volume = DefaultStorageVolume
	}
	if s.Brick == "" {
		s.Brick = DefaultStorageBrick
	}
	if s.Mount == "" {
		s.Mount = DefaultStorageMount
	}
	if s.SystemMount == "" {
		s.SystemMount = DefaultSystemMount
	}
	if s.Replica == 0 {
		s.Replica = StorageReplica
	}
}

// BrickHosts are the hosts holding a brick: the first Replica hosts in file
// order (all of them if there are fewer, which Validate rejects).
func (c *Cluster) BrickHosts() []Host {
	n := StorageReplica
	if c.Storage != nil && c.Storage.Replica > 0 {
		n = c.Storage.Replica
	}
	if n > len(c.Hosts) {
		n = len(c.Hosts)
	}
	return c.Hosts[:n]
}

func (v *validator) storage() {
	s := v.c.Storage
	if s == nil {
		return
	}
	if s.Volume != "" && !volumeNameRE.MatchString(s.Volume) {
		v.add("storage.volume", "%q is not a valid volume name; use 1..64 characters A-Z, a-z, 0-9, '-' and '_', starting with a letter or digit (default %s)", s.Volume, DefaultStorageVolume)
	}
	v.storagePath("storage.brick", s.Brick, DefaultStorageBrick)
	v.storagePath("storage.mount", s.Mount, DefaultStorageMount)
	if s.Brick != "" && s.Mount != "" && path.IsAbs(s.Brick) && path.IsAbs(s.Mount) {
		b, m := path.Clean(s.Brick), path.Clean(s.Mount)
		if b == m || strings.HasPrefix(b+"/", m+"/") || strings.HasPrefix(m+"/", b+"/") {
			v.add("storage.mount", "%s overlaps the brick directory %s; the mount and the brick must be separate directories (writing to a brick directly bypasses replication)", s.Mount, s.Brick)
		}
	}
	v.systemMount(s)
	switch {
	case s.Replica != 0 && s.Replica != StorageReplica:
		v.add("storage.replica", "%d is not supported; allowed: 3 (three full copies, or two and an arbiter with arbiter: true); replica 2 splits brain", s.Replica)
	case len(v.c.Hosts) > 0 && len(v.c.Hosts) < StorageReplica:
		v.add("storage.replica", "replica 3 needs at least 3 hosts, the file lists %d; add hosts or remove the storage section", len(v.c.Hosts))
	}
	keys := make([]string, 0, len(s.Options))
	for k := range s.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := fmt.Sprintf("storage.options[%q]", k)
		switch tuned, isTuned := tunedStorageOptions[k]; {
		case isTuned:
			v.add(p, "skep sets this option from %s (default %s): remove it here and set that instead, as a duration in whole seconds such as 5s", tuned.path, tuned.def)
		case !knownStorageOption(k):
			v.add(p, "unknown or unsupported volume option; allowed: %s", strings.Join(StorageOptionKeys, ", "))
		case strings.TrimSpace(s.Options[k]) == "" || strings.ContainsAny(s.Options[k], "\n\t '\"`$;&|"):
			v.add(p, "%q is not a valid value; give a single word such as on, off, auto or a number", s.Options[k])
		}
	}
}

func knownStorageOption(k string) bool {
	for _, o := range StorageOptionKeys {
		if o == k {
			return true
		}
	}
	return false
}

func (v *validator) storagePath(p, value, def string) {
	if value == "" {
		return
	}
	switch {
	case !path.IsAbs(value):
		v.add(p, "%q is not an absolute path; use a path such as %s", value, def)
	case path.Clean(value) != value || value == "/":
		v.add(p, "%q is not a clean directory path; use a path such as %s (no trailing '/', '.' or '..')", value, def)
	case strings.ContainsAny(value, " \t\n'\"\\:,;$`"):
		v.add(p, "%q contains spaces or special characters; use a path such as %s", value, def)
	}
}
