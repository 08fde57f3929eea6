package config

import (
	"path"
	"strings"
)

// skep keeps its own state (today the controller's ACME account and
// certificate keys) on a second GlusterFS volume, beside the user's: same
// brick hosts, same replica layout and options, a brick directory next to
// the user's brick, mounted on the managers only (where the controller
// runs) at storage.system_mount. Users bind storage.mount into their
// containers; nothing of skep's lies under it.

// systemSuffix names the system volume and its brick after the user's.
const systemSuffix = "-system"

// System is skep's own volume, derived from the storage section: the same
// layout and options as the user volume (but the root's owner), named VOLUME-system, its brick
// BRICK-system (beside the user's brick, so skep-glusterd, which binds the
// brick's parent, serves it unchanged) and mounted at SystemMount. nil
// without a storage section.
func (s *Storage) System() *Storage {
	if s == nil {
		return nil
	}
	var opts map[string]string
	for k, v := range s.Options {
		if notForSystem[k] {
			continue
		}
		if opts == nil {
			opts = map[string]string{}
		}
		opts[k] = v
	}
	return &Storage{
		Volume:      s.Volume + systemSuffix,
		Brick:       s.Brick + systemSuffix,
		Mount:       s.SystemMount,
		SystemMount: s.SystemMount,
		Replica:     s.Replica,
		Arbiter:     s.Arbiter,
		Options:     opts,
	}
}

// notForSystem are the user volume's options the system volume does not
// take: they hand the volume's root to another owner, and its root must
// stay root's.
var notForSystem = map[string]bool{"storage.owner-uid": true, "storage.owner-gid": true}

// ControllerStateDir is where the controller keeps its ACME account and
// certificates: a directory of the system volume. "" without a storage
// section (validation refuses acme without one).
func (c *Cluster) ControllerStateDir() string {
	if c.Storage == nil || c.Storage.SystemMount == "" {
		return ""
	}
	return path.Join(c.Storage.SystemMount, "controller")
}

// within reports whether a is b or lies beneath it (both clean and absolute).
func within(a, b string) bool {
	return a == b || strings.HasPrefix(a+"/", strings.TrimSuffix(b, "/")+"/")
}

// systemMount checks storage.system_mount: an absolute clean path apart
// from everything a user may bind (storage.mount) and from the bricks,
// and outside the directory skep-glusterd binds (the brick's parent).
func (v *validator) systemMount(s *Storage) {
	const p = "storage.system_mount"
	v.storagePath(p, s.SystemMount, DefaultSystemMount)
	if s.Mount != "" && s.Brick != "" && path.IsAbs(s.Mount) && path.IsAbs(s.Brick) {
		u, b := path.Clean(s.Mount), path.Clean(s.Brick)
		sb := b + systemSuffix
		// An overlap with the user's brick is reported already.
		if !within(u, b) && !within(b, u) && (within(u, sb) || within(sb, u)) {
			v.add("storage.mount", "%s overlaps %s, the brick directory of skep's own volume; choose another mount", u, sb)
		}
	}
	m := s.SystemMount
	if m == "" || !path.IsAbs(m) || path.Clean(m) != m || m == "/" {
		return
	}
	if s.Mount != "" && path.IsAbs(s.Mount) {
		u := path.Clean(s.Mount)
		if within(m, u) || within(u, m) {
			v.add(p, "%s overlaps storage.mount %s; skep's own state must lie where no bind of the storage mount reaches it (default %s)", m, u, DefaultSystemMount)
			return
		}
	}
	if s.Brick != "" && path.IsAbs(s.Brick) {
		b := path.Clean(s.Brick)
		for _, brick := range []string{b, b + systemSuffix} {
			if within(m, brick) || within(brick, m) {
				v.add(p, "%s overlaps the brick directory %s; the mount and the bricks must be separate directories (default %s)", m, brick, DefaultSystemMount)
				return
			}
		}
		if parent := path.Dir(b); parent != "/" && within(m, parent) {
			v.add(p, "%s lies under %s, the brick's parent directory, which skep-glusterd binds into its container; choose a path outside it (default %s)", m, parent, DefaultSystemMount)
		}
	}
}
