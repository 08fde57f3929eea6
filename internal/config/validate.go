package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// nameRE is a DNS label: names end up in container names, node labels and
// hostnames, where anything else breaks.
var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

const (
	maxClusterName = 40 // leaves room for suffixes such as "-node12" in a 63-char label
	maxHostName    = 63
)

// Validate checks the cluster as a whole and returns every problem found,
// each naming the YAML path of the offending field (lines are filled in by
// Load and Parse). It gives the same answer before and after ApplyDefaults,
// and reports an inherited bad value once, where it is written.
func (c *Cluster) Validate() []Problem {
	v := &validator{c: c}
	v.name("name", c.Name, maxClusterName, "cluster name")
	v.ssh()
	v.hosts()
	v.managers()
	v.rebalance()
	v.storage()
	v.ingress()
	v.vip()
	v.acme()
	v.tuning()
	return v.problems
}

type validator struct {
	c        *Cluster
	problems []Problem
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) name(path, s string, max int, what string) {
	allowed := fmt.Sprintf("use 1..%d characters a-z, 0-9 and '-', starting and ending with a letter or digit", max)
	switch {
	case s == "":
		v.add(path, "required: a %s; %s", what, allowed)
	case len(s) > max || !nameRE.MatchString(s):
		v.add(path, "%q is not a valid %s; %s", s, what, allowed)
	}
}

func (v *validator) ssh() {
	s := v.c.SSH
	v.port("ssh.port", s.Port, "unset means 22")
	v.user("ssh.user", s.User)
	v.keyFile("ssh.key_file", s.KeyFile)
	v.knownHosts(s.KnownHosts)
}

func (v *validator) hosts() {
	if len(v.c.Hosts) == 0 {
		v.add("hosts", "at least one host is required; list each machine with its name and address")
		return
	}
	names := map[string]int{}
	addrs := map[string]int{}
	for i, h := range v.c.Hosts {
		p := fmt.Sprintf("hosts[%d]", i)
		v.name(p+".name", h.Name, maxHostName, "host name")
		if j, dup := names[h.Name]; dup && h.Name != "" {
			v.add(p+".name", "%q is already used by hosts[%d]; host names must be unique", h.Name, j)
		} else {
			names[h.Name] = i
		}
		v.address(p+".address", h.Address)
		if key := addressKey(h.Address); key != "" {
			if j, dup := addrs[key]; dup {
				v.add(p+".address", "%q is already used by hosts[%d] (%s); each host needs its own address", h.Address, j, v.c.Hosts[j].Name)
			} else {
				addrs[key] = i
			}
		}
		// Values equal to the ssh section's were inherited (or repeat it);
		// any problem with them is reported once, at ssh.*.
		if h.Port != v.c.SSH.Port {
			v.port(p+".port", h.Port, "0 or unset means ssh.port")
		}
		if h.User != v.c.SSH.User {
			v.user(p+".user", h.User)
		}
		if h.KeyFile != "" && v.c.resolve(h.KeyFile) != v.c.resolve(v.c.SSH.KeyFile) {
			v.keyFile(p+".key_file", h.KeyFile)
		}
		if h.Role != "" && h.Role != RoleManager && h.Role != RoleWorker {
			v.add(p+".role", "%q is not a role; allowed: manager, worker (default manager)", h.Role)
		}
		v.labels(p+".labels", h.Labels)
	}
}

func (v *validator) port(path string, port int, unset string) {
	if port != 0 && (port < 1 || port > 65535) {
		v.add(path, "%d is out of range; allowed 1..65535 (%s)", port, unset)
	}
}

// user only rejects what cannot be a login name; an empty user falls back
// to ssh.user and then to root.
func (v *validator) user(path, u string) {
	if strings.ContainsAny(u, " \t\n@:/") {
		v.add(path, "%q is not a user name; use a login name such as root, without spaces, '@', ':' or '/'", u)
	}
}

func (v *validator) keyFile(path, p string) {
	if p == "" {
		return // ssh-agent is used
	}
	abs := v.c.resolve(p)
	const hint = "set key_file to a private key file, or leave it unset to use ssh-agent (SSH_AUTH_SOCK)"
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.add(path, "key file %s does not exist; %s", abs, hint)
	case err != nil:
		v.add(path, "key file %s cannot be read (%v); %s", abs, err, hint)
	case !fi.Mode().IsRegular():
		v.add(path, "key file %s is not a regular file; %s", abs, hint)
	}
}

// knownHosts checks only an explicitly chosen file: the default one may not
// exist yet on a fresh machine, and the SSH layer creates it.
func (v *validator) knownHosts(p string) {
	if p == "" {
		return
	}
	abs := v.c.resolve(p)
	if abs == DefaultKnownHosts() {
		return
	}
	const hint = "use a file in an existing directory, or leave known_hosts unset to use ~/.ssh/known_hosts"
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		v.add("ssh.known_hosts", "%s is a directory; %s", abs, hint)
		return
	}
	dir := filepath.Dir(abs)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		v.add("ssh.known_hosts", "directory %s of known_hosts file %s does not exist; %s", dir, abs, hint)
	}
}

func (v *validator) labels(path string, labels map[string]string) {
	for k := range labels {
		p := fmt.Sprintf("%s[%q]", path, k)
		switch {
		case strings.TrimSpace(k) == "":
			v.add(p, "label keys must not be empty; use a key such as zone or app.tier")
		case strings.ContainsAny(k, " \t\n="):
			v.add(p, "label keys must not contain spaces or '='; use a key such as zone or app.tier")
		case strings.HasPrefix(k, ReservedLabelPrefix):
			v.add(p, "label keys starting with %q are reserved for skep's own labels; use another prefix, such as app.", ReservedLabelPrefix)
		}
	}
}

// managers enforces a safe raft quorum: a swarm of n managers survives the
// loss of (n-1)/2 of them, so only odd counts of 3 or more are worth having.
func (v *validator) managers() {
	if len(v.c.Hosts) == 0 {
		return
	}
	ms := v.c.Managers()
	if len(ms) == 0 {
		v.add("hosts", "no host has role manager; a swarm needs managers: give 3 (or 5) hosts role: manager")
		return
	}
	if v.c.Swarm.AllowUnsafeManagers || (len(ms) >= 3 && len(ms)%2 == 1) {
		return
	}
	names := make([]string, len(ms))
	for i, h := range ms {
		names[i] = h.Name
	}
	noun := "managers"
	if len(ms) == 1 {
		noun = "manager"
	}
	v.add("hosts", "%d %s (%s), but a safe swarm needs an odd number of at least 3: "+
		"3 managers tolerate 1 failure, 5 tolerate 2; an even count adds no tolerance; "+
		"set swarm.allow_unsafe_managers: true to override", len(ms), noun, strings.Join(names, ", "))
}
