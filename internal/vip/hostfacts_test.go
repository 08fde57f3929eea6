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
	s := ContainerSpec("skep-vip:abc", DockerEngine, false)
	h := s.Host
	if h.NetworkMode != "host" || len(h.CapDrop) != 1 || h.CapDrop[0] != "ALL" || strings.Join(h.CapAdd, " ") != "NET_ADMIN NET_RAW NET_BROADCAST SYS_NICE" || h.Privileged {
		t.Fatalf("%+v", h)
	}
	if h.RestartPolicy.Name != "always" || !h.ReadonlyRootfs || h.CPURealtimeRuntime != 0 {
		t.Fatalf("%+v", h)
	}
	if !strings.Contains(strings.Join(h.Binds, " "), "/var/run/docker.sock:/var/run/docker.sock:ro") {
		t.Fatal(h.Binds)
	}
	if got := strings.Join(s.Config.Cmd, " "); got != "--check docker --target /var/run/docker.sock" {
		t.Fatalf("agent arguments %q", got)
	}
	t2 := ContainerSpec("skep-vip:abc", TraefikPing, false)
	if strings.Contains(strings.Join(t2.Host.Binds, " "), "docker.sock") {
		t.Fatal("the engine socket is mounted though Traefik is tracked")
	}
	if s.Hash() == t2.Hash() || s.Hash() != ContainerSpec("skep-vip:abc", DockerEngine, false).Hash() {
		t.Fatal("spec hash is not a function of the spec")
	}
	if s.Config.Labels[SpecLabel] != s.Hash() {
		t.Fatal("spec label")
	}
	rt := ContainerSpec("skep-vip:abc", DockerEngine, true)
	if rt.Host.CPURealtimeRuntime != RTRuntime || rt.Hash() == s.Hash() {
		t.Fatalf("real-time budget: %d, hash %s", rt.Host.CPURealtimeRuntime, rt.Hash())
	}
}

func TestRealTime(t *testing.T) {
	for _, c := range []struct {
		out         string
		budget      bool
		warns, path string
	}{
		{"", false, "", ""}, // no real-time group scheduling: SYS_NICE suffices
		{"rt=/docker/abc/skep-node 60000\n", true, "", "/docker/abc/skep-node"},
		{"rt=/docker 0\n", false, "without real-time scheduling", "/docker"},
		{"rt=/docker 49999\n", false, "/docker grants them 49999", "/docker"},
	} {
		f := ParseFacts(labNode1 + c.out)
		budget, warning := f.RealTime()
		if budget != c.budget || (c.warns == "") != (warning == "") || !strings.Contains(warning, c.warns) || f.RTCgroup != c.path {
			t.Errorf("%q: budget %v, warning %q, cgroup %q", c.out, budget, warning, f.RTCgroup)
		}
	}
}
