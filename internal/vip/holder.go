package vip

import (
	"net"
	"strings"
)

// AddrCommand lists a host's IPv4 addresses, one interface address a
// line; HeldIn reads its output.
const AddrCommand = "ip -o -4 addr show"

// HeldIn tells whether the output of AddrCommand lists addr: the one
// reading of "does this host hold the VIP" that apply, status and the
// benchmarks share.
func HeldIn(out, addr string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "inet" && isAddr(f[i+1], addr) {
				return true
			}
		}
	}
	return false
}

// isAddr tells whether an interface address (in CIDR form, as ip prints
// it) is addr.
func isAddr(cidr, addr string) bool {
	ip, _, err := net.ParseCIDR(cidr)
	return err == nil && ip.String() == addr
}
