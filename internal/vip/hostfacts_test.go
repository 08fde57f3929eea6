package vip

import (
	"strings"
	"testing"
)

// Recorded from a lab node (FactsScript's output), the holder of the VIP.
const labNode1 = `route=10.213.0.12 dev eth0 src 10.213.0.11 uid 0 \    cache 
addr=lo 127.0.0.1/8
addr=eth0 10.213.0.11/24
addr=eth0 10.213.0.250/32
addr=docker0 172.17.0.1/16
addr=docker_gwbridge 172.18.0.1/16
conf=IyBrZWVwYWxpdmVkCg==
`

func TestParseFacts(t *testing.T) {
	f := ParseFacts(labNode1)
	if f.RouteDev != "eth0" || f.RouteSrc != "10.213.0.11" || !f.HasConfig || string(f.Config) != "# keepalived\n" {
		t.Fatalf("%+v", f)
	}
	if !f.Holds("10.213.0.250") || f.Holds("10.213.0.251") {
		t.Fatal("holder detection")
	}
	pl, err := f.Place("", "10.213.0.250")
	if err != nil || pl.Interface != "eth0" || pl.SourceIP != "10.213.0.11" {
		t.Fatalf("%+v %v", pl, err)
	}
}

func TestPlaceProblems(t *testing.T) {
	f := ParseFacts(labNode1)
	for _, c := range []struct{ iface, vip, want string }{
		{"", "10.99.0.250", "not in the subnet of eth0"},
		{"eth9", "10.213.0.250", "interface eth9 has no IPv4 address"},
		{"docker0", "10.213.0.250", "not in the subnet of docker0"},
		{"", "10.213.0.11", ""}, // the host's own address: config validation's job; Place finds no other source
	} {
		_, err := f.Place(c.iface, c.vip)
		if c.want == "" {
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Place(%q, %q) = %v, want %q", c.iface, c.vip, err, c.want)
		}
	}
	static := ParseFacts("route=10.0.0.12 dev eth0 src 10.0.0.11\naddr=eth0 10.0.0.11/24\naddr=eth0 10.0.0.250/24\n")
	if _, err := static.Place("", "10.0.0.250"); err == nil || !strings.Contains(err.Error(), "already has the VIP") {
		t.Errorf("a statically configured VIP: %v", err)
	}
	if _, err := ParseFacts("addr=eth0 10.0.0.11/24\n").Place("", "10.0.0.250"); err == nil || !strings.Contains(err.Error(), "vip.interface") {
		t.Errorf("no route: %v", err)
	}
}

func TestFactsScriptQuotesPeer(t *testing.T) {
	s := FactsScript("it's")
	if !strings.Contains(s, `peer='it'\''s'`) || !strings.Contains(s, ConfigPath) {
		t.Fatal(s)
	}
}

// Recorded tcpdump lines: our own unicast adverts, a stranger on our id
// (multicast VRRPv2), and one on another id.
const tcpdumpOut = `IP 10.213.0.11 > 10.213.0.12: VRRPv3, Advertisement, vrid 51, prio 250, intvl 10cs, length 12
IP 10.213.0.11 > 10.213.0.13: VRRPv3, Advertisement, vrid 51, prio 250, intvl 10cs, length 12
IP 10.213.0.40 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, authtype none, intvl 1s, length 20
IP 10.213.0.40 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, authtype none, intvl 1s, length 20
IP 10.213.0.41 > 224.0.0.18: VRRPv2, Advertisement, vrid 52, prio 100, authtype none, intvl 1s, length 20
`

func TestParseAdverts(t *testing.T) {
	got := ParseAdverts(tcpdumpOut, 51, []string{"10.213.0.11", "10.213.0.12", "10.213.0.13"})
	if len(got) != 1 || got[0].Source != "10.213.0.40" || got[0].Version != 2 || got[0].Priority != 100 {
		t.Fatalf("%+v", got)
	}
	if got := ParseAdverts(tcpdumpOut, 53, nil); len(got) != 0 {
		t.Fatalf("id 53: %+v", got)
	}
	if !strings.Contains(strings.Join(ListenScript("eth0"), " "), "'ip proto 112'") {
		t.Fatal(ListenScript("eth0"))
	}
}

func TestContainerSpec(t *testing.T) {
	s := ContainerSpec("skep-keepalived:abc", DockerEngine)
	h := s.Host
	if h.NetworkMode != "host" || len(h.CapDrop) != 1 || h.CapDrop[0] != "ALL" || len(h.CapAdd) != 5 || h.Privileged {
		t.Fatalf("%+v", h)
	}
	if h.RestartPolicy.Name != "always" || !h.ReadonlyRootfs {
		t.Fatalf("%+v", h)
	}
	if !strings.Contains(strings.Join(h.Binds, " "), "/var/run/docker.sock:/var/run/docker.sock:ro") {
		t.Fatal(h.Binds)
	}
	t2 := ContainerSpec("skep-keepalived:abc", TraefikPing)
	if strings.Contains(strings.Join(t2.Host.Binds, " "), "docker.sock") {
		t.Fatal("the engine socket is mounted though Traefik is tracked")
	}
	if s.Hash() == t2.Hash() || s.Hash() != ContainerSpec("skep-keepalived:abc", DockerEngine).Hash() {
		t.Fatal("spec hash is not a function of the spec")
	}
	if s.Config.Labels[SpecLabel] != s.Hash() {
		t.Fatal("spec label")
	}
}
