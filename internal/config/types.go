// Package config defines skep's cluster file: its types, strict loading,
// defaults and validation. Loading reports every problem at once, each with
// its YAML path and line, so a user fixes the file in one pass and nothing is
// contacted before the file is sound.
package config

// Roles a host can have in the swarm.
const (
	RoleManager = "manager"
	RoleWorker  = "worker"
)

// ReservedLabelPrefix starts the node labels skep sets itself; users may not
// declare labels with it, so skep can own and reconcile them freely.
const ReservedLabelPrefix = "skep."

// Cluster is the whole cluster file.
type Cluster struct {
	Name    string   `yaml:"name"`              // required; [a-z0-9-], 1..40 chars
	SSH     SSH      `yaml:"ssh,omitempty"`     // defaults for every host
	Hosts   []Host   `yaml:"hosts"`             // in order: the first manager leads
	Swarm   Swarm    `yaml:"swarm,omitempty"`   // swarm-wide settings
	Storage *Storage `yaml:"storage,omitempty"` // shared GlusterFS volume; nil = none
	Ingress *Ingress `yaml:"ingress,omitempty"` // Traefik on every manager; nil = none
	VIP     *VIP     `yaml:"vip,omitempty"`     // keepalived virtual IP on the managers; nil = none
	ACME    *ACME    `yaml:"acme,omitempty"`    // certificates from an ACME CA (skepd); nil = none
	Tuning  Tuning   `yaml:"tuning,omitempty"`  // timings skep sets on purpose (tuning.go)
	Path    string   `yaml:"-"`                 // absolute path of the file it was loaded from
}

// SSH holds connection defaults shared by every host.
type SSH struct {
	User       string `yaml:"user,omitempty"`        // default "root"
	Port       int    `yaml:"port,omitempty"`        // default 22
	KeyFile    string `yaml:"key_file,omitempty"`    // empty = use ssh-agent (SSH_AUTH_SOCK)
	KnownHosts string `yaml:"known_hosts,omitempty"` // default ~/.ssh/known_hosts
}

// Host is one machine of the cluster.
type Host struct {
	Name    string            `yaml:"name"`               // required, unique, [a-z0-9-]
	Address string            `yaml:"address"`            // required, unique, IP or DNS hostname
	Port    int               `yaml:"port,omitempty"`     // 0 = SSH.Port
	User    string            `yaml:"user,omitempty"`     // "" = SSH.User
	KeyFile string            `yaml:"key_file,omitempty"` // "" = SSH.KeyFile
	Role    string            `yaml:"role,omitempty"`     // manager | worker; default manager
	Labels  map[string]string `yaml:"labels,omitempty"`   // swarm node labels; no "skep." keys
}

// Swarm holds swarm-wide settings.
type Swarm struct {
	// AllowUnsafeManagers permits an even manager count or fewer than 3 managers.
	AllowUnsafeManagers bool `yaml:"allow_unsafe_managers,omitempty"`
	// Rebalance spreads replicated services again by itself; nil = off.
	Rebalance *Rebalance `yaml:"rebalance,omitempty"`
}

// isManager treats an empty role as manager, so the helpers below give the
// same answer before and after defaults are applied.
func (h Host) isManager() bool { return h.Role == RoleManager || h.Role == "" }

// Managers returns the manager hosts in file order.
func (c *Cluster) Managers() []Host {
	var out []Host
	for _, h := range c.Hosts {
		if h.isManager() {
			out = append(out, h)
		}
	}
	return out
}

// Workers returns the worker hosts in file order.
func (c *Cluster) Workers() []Host {
	var out []Host
	for _, h := range c.Hosts {
		if h.Role == RoleWorker {
			out = append(out, h)
		}
	}
	return out
}

// FirstManager returns the first manager in file order, which initialises
// the swarm; the zero Host if there is none (Validate rejects that).
func (c *Cluster) FirstManager() Host {
	for _, h := range c.Hosts {
		if h.isManager() {
			return h
		}
	}
	return Host{}
}

// HostByName returns the host with the given name.
func (c *Cluster) HostByName(name string) (Host, bool) {
	for _, h := range c.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}
