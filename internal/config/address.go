package config

import (
	"fmt"
	"net"
	"strings"
)

const addressAllowed = "use an IP address (such as 192.0.2.11) or a DNS hostname (such as node1.example.com)"

// address reports an address that is neither an IP nor a DNS hostname.
// Typical slips get a specific hint: a port or user in the address, IPv6
// brackets, or an IP with an out-of-range part.
func (v *validator) address(path, a string) {
	if msg := addressProblem(a); msg != "" {
		v.add(path, "%s", msg)
	}
}

func addressProblem(a string) string {
	switch {
	case a == "":
		return "required: the address skep reaches the host at over SSH; " + addressAllowed
	case strings.Contains(a, "@"):
		return fmt.Sprintf("%q contains '@'; put the user in user:, and only the host in address", a)
	case strings.HasPrefix(a, "["):
		return fmt.Sprintf("%q: write IPv6 addresses without brackets; put a port in port:", a)
	}
	if ip := net.ParseIP(a); ip != nil {
		if ip.IsUnspecified() || ip.IsMulticast() {
			return fmt.Sprintf("%q is not a host address; %s", a, addressAllowed)
		}
		return ""
	}
	if _, port, err := net.SplitHostPort(a); err == nil && port != "" {
		return fmt.Sprintf("%q contains a port; put the port in port:, and only the host in address", a)
	}
	if !isHostname(a) {
		return fmt.Sprintf("%q is not an IP address or DNS hostname; %s", a, addressAllowed)
	}
	return ""
}

// isHostname follows RFC 1123, and rejects an all-numeric last label so a
// mistyped IPv4 address such as 10.0.0.300 is not taken for a hostname.
func isHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// addressKey normalises an address for the uniqueness check: hostnames are
// case-insensitive, and one IP can be written in several ways.
func addressKey(a string) string {
	if ip := net.ParseIP(a); ip != nil {
		return ip.String()
	}
	return strings.ToLower(strings.TrimSuffix(a, "."))
}
