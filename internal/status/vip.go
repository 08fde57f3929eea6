package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/vip"
)

// VIP is the virtual IP's health (the "vip" section of the status
// contract): its address and the one node holding it ("" when none or
// more than one does, which are problems).
type VIP struct {
	Address string `json:"address"`
	Holder  string `json:"holder"`
}

// HostVIP is what a keepalived host said about the VIP.
type HostVIP struct {
	Holds   bool  // the VIP is among its addresses
	Running bool  // skep-keepalived runs
	Err     error // the question was not answered
}

// askVIP asks a keepalived host, beside the engine calls, whether it holds
// the VIP (its addresses, over SSH) and whether keepalived runs; the
// returned wait blocks until it is answered (or ctx ends).
func (p *probe) askVIP(ctx context.Context, hs *host.Host, callTimeout time.Duration) (wait func()) {
	if p.vip == "" {
		return func() {}
	}
	p.update(func(f *HostFacts, _ *int) { f.VIP = &HostVIP{Err: errors.New("no answer in time")} })
	done := make(chan struct{})
	go func() {
		defer close(done)
		v := &HostVIP{}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		out, err := hs.Exec(cctx, "ip -o -4 addr show")
		if err != nil {
			v.Err = err
		} else {
			v.Holds = holdsAddress(out, p.vip)
			if cli, err := hs.Docker(cctx); err != nil {
				v.Err = err
			} else if r, err := vip.Inspect(cctx, cli); err != nil {
				v.Err = err
			} else {
				v.Running = r.Running
			}
		}
		p.update(func(f *HostFacts, _ *int) { f.VIP = v })
	}()
	return func() {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
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

// holdsAddress reads `ip -o -4 addr show` for addr.
func holdsAddress(out, addr string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "inet" {
				if ip, _, err := net.ParseCIDR(f[i+1]); err == nil && ip.String() == addr {
					return true
				}
			}
		}
	}
	return false
}

// buildVIP: exactly one reachable manager must hold the VIP, and
// keepalived must run on every reachable manager (else the VIP has
// nowhere to go when its holder fails).
func buildVIP(f Facts) (*VIP, []string) {
	if f.File == nil || f.File.VIP == nil {
		return nil, nil
	}
	v := &VIP{Address: f.File.VIP.Address}
	var problems, holders []string
	for _, h := range f.Hosts {
		if h.VIP == nil || !h.reachable() {
			continue // an unreachable host is reported as such already
		}
		switch {
		case h.VIP.Err != nil:
			problems = append(problems, fmt.Sprintf("%s: cannot tell whether it holds the VIP (%s)", h.Name, trimHostPrefix(h.Name, h.VIP.Err.Error())))
		case !h.VIP.Running:
			problems = append(problems, fmt.Sprintf("%s: keepalived (container %s) is not running, so the VIP cannot move here; run skep apply", h.Name, vip.ContainerName))
		}
		if h.VIP.Holds {
			holders = append(holders, h.Name)
		}
	}
	switch len(holders) {
	case 1:
		v.Holder = holders[0]
	case 0:
		problems = append(problems, fmt.Sprintf("vip: no node holds %s; check the managers' keepalived (docker logs %s) or run skep apply", v.Address, vip.ContainerName))
	default:
		problems = append(problems, fmt.Sprintf("vip: %s is held by %s at once (VRRP adverts not getting through between them?)", v.Address, strings.Join(holders, " and ")))
	}
	return v, problems
}

func (v *VIP) writeText(w io.Writer) {
	holder := v.Holder
	if holder == "" {
		holder = "no single node"
	}
	fmt.Fprintf(w, "\nvip: %s held by %s\n", v.Address, holder)
}
