package apply

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"skep/internal/config"
)

// Clock skew limits: Raft and swarm's mutual TLS tolerate little skew;
// beyond maxSkew certificates look not-yet-valid and joins fail.
const (
	warnSkew = 2 * time.Second
	maxSkew  = 60 * time.Second
)

// preflight checks every host before anything changes. Problems that would
// break the cluster stop the run, listing every host's problem at once;
// missing kernel features are reported with what they mean.
func preflight(e *env) error {
	var problems, order []string
	warned := map[string][]string{} // warning -> hosts, so a fact common to all hosts is said once
	names := sortedHosts(e.facts.Hosts)
	for _, name := range names {
		f := e.facts.Hosts[name]
		for _, cp := range declaredComponents(e.cluster) {
			if cp.problems == nil {
				continue
			}
			for _, p := range cp.problems(e.cluster, f) {
				problems = append(problems, name+": "+p)
			}
		}
		for _, w := range hostWarnings(f, e.cluster) {
			e.result.Warnings = append(e.result.Warnings, name+": "+w)
			if warned[w] == nil {
				order = append(order, w)
			}
			warned[w] = append(warned[w], name)
		}
	}
	for _, w := range order {
		e.logf(strings.Join(warned[w], ","), "warning: %s", w)
	}
	if len(problems) > 0 {
		return fmt.Errorf("preflight found %d problem(s), nothing was changed:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	e.logf("", "preflight passed on %d hosts", len(names))
	return nil
}

func hostProblems(f *Facts) []string {
	var ps []string
	if f.Arch != "x86_64" && f.Arch != "aarch64" {
		ps = append(ps, fmt.Sprintf("architecture %q is not supported (x86_64 or aarch64)", f.Arch))
	}
	if !f.DockerInstalled && !debianLike(f) {
		ps = append(ps, fmt.Sprintf("no Docker engine, and skep installs one only on Debian or Ubuntu (this is %s); install Docker Engine, then apply again", f.OSName))
	}
	if abs(f.ClockSkew) > maxSkew {
		ps = append(ps, fmt.Sprintf("clock is %s off from this machine; swarm TLS needs clocks within %s: enable NTP (e.g. systemd-timesyncd) on every host", f.ClockSkew, maxSkew))
	}
	if len(f.BusyPorts) > 0 && !f.Swarm.InSwarm() {
		ps = append(ps, fmt.Sprintf("swarm ports already in use by another program: %s (swarm needs tcp/2377, tcp+udp/7946, udp/4789)", strings.Join(f.BusyPorts, ", ")))
	}
	return ps
}

func hostWarnings(f *Facts, c *config.Cluster) []string {
	var ws []string
	if abs(f.ClockSkew) > warnSkew && abs(f.ClockSkew) <= maxSkew {
		ws = append(ws, fmt.Sprintf("clock is %s off; keep hosts in sync with NTP", f.ClockSkew))
	}
	if !f.FUSE && c.Storage == nil {
		ws = append(ws, "no /dev/fuse: a shared GlusterFS volume (storage:) could not be mounted on this host")
	}
	if !f.VXLAN {
		ws = append(ws, "no VXLAN support: overlay networks cannot span this host")
	}
	if !f.IPVS {
		ws = append(ws, "no IPVS in the kernel: swarm's routing mesh (ports published in ingress mode) and VIP service discovery do not work; skep's own ingress uses host-mode ports and is not affected, publish app ports with mode: host or use endpoint_mode: dnsrr")
	}
	return ws
}

func debianLike(f *Facts) bool {
	return f.OS == "debian" || f.OS == "ubuntu" || strings.Contains(" "+f.OSLike+" ", " debian ")
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// sortedHosts is the host names of a per-host map, in order, so output and
// errors read the same on every run.
func sortedHosts[T any](m map[string]T) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// hostNames is the names of hosts, in file order.
func hostNames(hosts []config.Host) []string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return names
}
