package status

import (
	"fmt"
	"io"
	"strings"

	"skep/internal/config"
	"skep/internal/vip"
)

// VIP is the virtual IP's health (the "vip" section of the status
// contract): its address and the one node holding it ("" when none or
// more than one does, which are problems).
type VIP struct {
	Address string `json:"address"`
	Holder  string `json:"holder"`
}

// HostVIP is what a keepalived host said about the VIP: its addresses
// (from its status script) and keepalived's state (from its engine).
type HostVIP struct {
	Holds   bool  // the VIP is among its addresses
	Running bool  // skep-keepalived runs
	Err     error // not all of it was answered: not known
}

// vipQuestion is the VIP a host is asked about: "" for hosts that run no
// keepalived, or when the cluster has no VIP.
func vipQuestion(c *config.Cluster, h config.Host) string {
	if c.VIP == nil {
		return ""
	}
	for _, m := range c.VIPHosts() {
		if m.Name == h.Name {
			return c.VIP.Address
		}
	}
	return ""
}

// buildVIP: exactly one reachable manager must hold the VIP, and
// keepalived must run on every reachable manager (else the VIP has
// nowhere to go when its holder fails). A host that did not answer makes
// the holder not known rather than missing.
func buildVIP(f Facts, fd *findings) *VIP {
	if f.File == nil || f.File.VIP == nil {
		return nil
	}
	v := &VIP{Address: f.File.VIP.Address}
	var holders, silent []string
	for _, h := range f.Hosts {
		if h.VIP == nil || !h.reachable() {
			continue // an unreachable host is reported as such already
		}
		switch {
		case h.VIP.Err != nil:
			silent = append(silent, h.Name)
			fd.notKnown("%s: whether it holds the VIP and runs keepalived is not known (%s)", h.Name, trimHostPrefix(h.Name, h.VIP.Err.Error()))
		case !h.VIP.Running:
			fd.problem("%s: keepalived (container %s) is not running, so the VIP cannot move here; run skep apply", h.Name, vip.ContainerName)
		}
		if h.VIP.Holds {
			holders = append(holders, h.Name)
		}
	}
	switch {
	case len(holders) == 1:
		v.Holder = holders[0]
	case len(holders) > 1:
		fd.problem("vip: %s is held by %s at once (VRRP adverts not getting through between them?)", v.Address, strings.Join(holders, " and "))
	case len(silent) > 0:
		fd.notKnown("vip: the holder of %s is not known (%s did not answer)", v.Address, strings.Join(silent, ", "))
	default:
		fd.problem("vip: no node holds %s; check the managers' keepalived (docker logs %s) or run skep apply", v.Address, vip.ContainerName)
	}
	return v
}

func (v *VIP) writeText(w io.Writer) {
	holder := v.Holder
	if holder == "" {
		holder = "no single node"
	}
	fmt.Fprintf(w, "\nvip: %s held by %s\n", v.Address, holder)
}
