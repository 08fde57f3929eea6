package config

import (
	"net"
	"time"
)

// VIP defaults. 100 ms adverts move the VIP in about half a second (three
// missed adverts plus skew); router id 51 is keepalived's customary one,
// and apply refuses it if another VRRP router on the network uses it.
const (
	DefaultVIPAdvertInterval = "100ms"
	DefaultVIPRouterID       = 51
)

// VRRPv3 carries the advertisement interval in centiseconds in 12 bits.
const (
	minVIPAdvert = 10 * time.Millisecond
	maxVIPAdvert = 4095 * 10 * time.Millisecond
)

// VIP is one virtual IP address held by exactly one manager at a time
// (keepalived, unicast VRRPv3), moving in under a second when its holder
// or the holder's ingress fails.
type VIP struct {
	Address string `yaml:"address"` // required: a free IPv4 address in the hosts' subnet
	// Interface carries the VIP on every manager; empty means the interface
	// of the route to the other managers.
	Interface string `yaml:"interface,omitempty"`
	// AdvertInterval between VRRP advertisements (a Go duration such as
	// 100ms, in steps of 10ms); the VIP moves after about three missed ones.
	AdvertInterval string `yaml:"advert_interval,omitempty"`
	RouterID       int    `yaml:"router_id,omitempty"` // VRRP virtual router id 1..255; default 51
}

// Advert is the parsed advertisement interval (0 if invalid).
func (v *VIP) Advert() time.Duration {
	d, err := time.ParseDuration(v.AdvertInterval)
	if err != nil {
		return 0
	}
	return d
}

func (c *Cluster) vipDefaults() {
	v := c.VIP
	if v == nil {
		return
	}
	if v.AdvertInterval == "" {
		v.AdvertInterval = DefaultVIPAdvertInterval
	}
	if v.RouterID == 0 {
		v.RouterID = DefaultVIPRouterID
	}
}

// vip checks what can be known from the file alone; that the address lies
// in the managers' subnet, that the interface exists and that no other
// router uses the router id are checked on the hosts by apply's preflight.
func (v *validator) vip() {
	s := v.c.VIP
	if s == nil {
		return
	}
	ip := net.ParseIP(s.Address).To4()
	switch {
	case s.Address == "":
		v.add("vip.address", "required: the virtual IP address, a free IPv4 address in the hosts' subnet such as 192.0.2.250")
	case ip == nil:
		v.add("vip.address", "%q is not an IPv4 address; use a free address in the hosts' subnet such as 192.0.2.250", s.Address)
	case ip.IsUnspecified() || ip.IsMulticast() || ip.IsLoopback() || ip.Equal(net.IPv4bcast):
		v.add("vip.address", "%s cannot be a virtual IP; use a free unicast address in the hosts' subnet", s.Address)
	default:
		for i, h := range v.c.Hosts {
			if hip := net.ParseIP(h.Address); hip != nil && hip.Equal(ip) {
				v.add("vip.address", "%s is the address of hosts[%d] (%s); the VIP must be an address no host has", s.Address, i, h.Name)
			}
		}
	}
	if s.Interface != "" && !ifaceNameOK(s.Interface) {
		v.add("vip.interface", "%q is not a network interface name; use a name such as eth0 (1..15 characters, no spaces or '/'), or leave it unset to use the interface of the route to the other managers", s.Interface)
	}
	if s.AdvertInterval != "" {
		d, err := time.ParseDuration(s.AdvertInterval)
		switch {
		case err != nil:
			v.add("vip.advert_interval", "%q is not a duration; use a value such as 100ms or 1s (default %s)", s.AdvertInterval, DefaultVIPAdvertInterval)
		case d < minVIPAdvert || d > maxVIPAdvert || d%minVIPAdvert != 0:
			v.add("vip.advert_interval", "%s is not allowed; VRRPv3 takes 10ms..40.95s in steps of 10ms (default %s)", s.AdvertInterval, DefaultVIPAdvertInterval)
		}
	}
	if s.RouterID != 0 && (s.RouterID < 1 || s.RouterID > 255) {
		v.add("vip.router_id", "%d is out of range; allowed 1..255, one no other VRRP router on the network uses (default %d)", s.RouterID, DefaultVIPRouterID)
	}
}

// ifaceNameOK follows the kernel's rules: 1..15 bytes, no '/', ':' or
// whitespace.
func ifaceNameOK(s string) bool {
	if len(s) == 0 || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r == '/' || r == ':' || r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// VIPHosts are the hosts that run keepalived: the managers, where the
// ingress runs, in file order (which sets their priorities).
func (c *Cluster) VIPHosts() []Host { return c.Managers() }
