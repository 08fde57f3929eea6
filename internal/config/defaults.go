package config

import (
	"os"
	"path/filepath"
	"strings"
)

// Defaults applied to fields left empty.
const (
	DefaultUser = "root"
	DefaultPort = 22
)

// ApplyDefaults fills every host's Port, User, KeyFile and Role from the ssh
// section and built-in defaults, and makes KeyFile and KnownHosts absolute
// (relative to the cluster file's directory, "~/" expanded). It is
// idempotent; Load and Parse call it before Validate, so code using a loaded
// Cluster never has to repeat the fallback rules.
func (c *Cluster) ApplyDefaults() {
	if c.SSH.User == "" {
		c.SSH.User = DefaultUser
	}
	if c.SSH.Port == 0 {
		c.SSH.Port = DefaultPort
	}
	c.SSH.KeyFile = c.resolve(c.SSH.KeyFile)
	c.storageDefaults()
	c.ingressDefaults()
	c.vipDefaults()
	c.acmeDefaults()
	c.tuningDefaults()
	c.rebalanceDefaults()
	if c.SSH.KnownHosts == "" {
		c.SSH.KnownHosts = DefaultKnownHosts()
	} else {
		c.SSH.KnownHosts = c.resolve(c.SSH.KnownHosts)
	}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		if h.Port == 0 {
			h.Port = c.SSH.Port
		}
		if h.User == "" {
			h.User = c.SSH.User
		}
		if h.KeyFile == "" {
			h.KeyFile = c.SSH.KeyFile
		} else {
			h.KeyFile = c.resolve(h.KeyFile)
		}
		if h.Role == "" {
			h.Role = RoleManager
		}
	}
}

// DefaultKnownHosts is $HOME/.ssh/known_hosts, or "" if there is no home.
func DefaultKnownHosts() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".ssh", "known_hosts")
}

// resolve makes a path from the cluster file absolute: "~/" means the home
// directory, and a relative path is relative to the cluster file's directory
// (or the working directory for a cluster not loaded from a file), so the
// file means the same wherever skep is run from.
func (c *Cluster) resolve(p string) string {
	if p == "" {
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if c.Path != "" {
		return filepath.Join(filepath.Dir(c.Path), p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
