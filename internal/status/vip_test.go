package status

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	dswarm "github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
)

func vipCluster() *config.Cluster {
	c := &config.Cluster{Name: "skep", VIP: &config.VIP{Address: "127.0.0.250"}}
	for i := 1; i <= 3; i++ {
		c.Hosts = append(c.Hosts, config.Host{Name: name(i), Address: addr(i), Role: "manager"})
	}
	c.ApplyDefaults()
	return c
}

func withVIP(h HostFacts, holds, running bool) HostFacts {
	h.VIP = &HostVIP{Holds: holds, Running: running}
	return h
}

func vipFacts(hosts ...HostFacts) Facts {
	f := facts(hosts...)
	f.File = vipCluster()
	return f
}

func TestVIPOneHolder(t *testing.T) {
	r := Build(vipFacts(
		withVIP(up(1, true, healthyList()...), false, true),
		withVIP(up(2, true, healthyList()...), true, true),
		withVIP(up(3, true, healthyList()...), false, true)))
	wantProblems(t, r)
	if r.VIP == nil || r.VIP.Holder != "node2" || r.VIP.Address != "127.0.0.250" {
		t.Fatalf("vip %+v", r.VIP)
	}
	data, _ := json.Marshal(r.VIP)
	if string(data) != `{"address":"127.0.0.250","holder":"node2"}` {
		t.Errorf("JSON %s", data)
	}
	var text strings.Builder
	r.WriteText(&text)
	if !strings.Contains(text.String(), "vip: 127.0.0.250 held by node2") {
		t.Errorf("text:\n%s", text.String())
	}
}

func TestVIPNoneOrTwoHolders(t *testing.T) {
	r := Build(vipFacts(
		withVIP(up(1, true, healthyList()...), false, true),
		withVIP(up(2, true, healthyList()...), false, true),
		withVIP(up(3, true, healthyList()...), false, false)))
	wantProblems(t, r,
		"node3: keepalived (container skep-keepalived) is not running, so the VIP cannot move here; run skep apply",
		"vip: no node holds 127.0.0.250; check the managers' keepalived (docker logs skep-keepalived) or run skep apply")
	if r.VIP.Holder != "" {
		t.Errorf("holder %q", r.VIP.Holder)
	}
	r = Build(vipFacts(
		withVIP(up(1, true, healthyList()...), true, true),
		withVIP(up(2, true, healthyList()...), false, true),
		withVIP(up(3, true, healthyList()...), true, true)))
	wantProblems(t, r, "vip: 127.0.0.250 is held by node1 and node3 at once (VRRP adverts not getting through between them?)")
	if r.VIP.Holder != "" {
		t.Errorf("two holders, holder %q", r.VIP.Holder)
	}
}

// A dead holder is the node's problem; the VIP on a survivor is healthy
// as far as the VIP goes.
func TestVIPAfterHolderDied(t *testing.T) {
	list := []dswarm.Node{mgr(1, dswarm.NodeStateDown, dswarm.ReachabilityUnreachable, false),
		mgr(2, dswarm.NodeStateReady, dswarm.ReachabilityReachable, true),
		mgr(3, dswarm.NodeStateReady, dswarm.ReachabilityReachable, false)}
	h3 := withVIP(up(3, true, list...), false, true)
	h3.VIP.Err = errors.New("node3: ssh: timeout")
	r := Build(vipFacts(dead(1, "manager"), withVIP(up(2, true, list...), true, true), h3))
	if r.VIP.Holder != "node2" {
		t.Fatalf("holder %q", r.VIP.Holder)
	}
	for _, p := range r.Problems {
		if strings.HasPrefix(p, "vip:") {
			t.Errorf("VIP problem with one holder: %s", p)
		}
	}
	if !strings.Contains(strings.Join(r.Unknown, "\n"), "node3: whether it holds the VIP and runs keepalived is not known (ssh: timeout)") {
		t.Errorf("unknown %q", r.Unknown)
	}
	wantProblems(t, r, "node1: not reachable over SSH (dial tcp 127.0.0.11:22: i/o timeout)")
}

// A host that did not answer leaves the holder not known, not missing.
func TestVIPHolderNotKnown(t *testing.T) {
	h2 := withVIP(up(2, true, healthyList()...), false, false)
	h2.VIP.Err = errors.New("addresses: no answer in 3s")
	r := Build(vipFacts(withVIP(up(1, true, healthyList()...), false, true), h2, withVIP(up(3, true, healthyList()...), false, true)))
	wantProblems(t, r)
	wantUnknown(t, r,
		"node2: whether it holds the VIP and runs keepalived is not known (addresses: no answer in 3s)",
		"vip: the holder of 127.0.0.250 is not known (node2 did not answer)")
}

func TestNoVIPSection(t *testing.T) {
	f := facts(up(1, true, healthyList()...))
	f.File = &config.Cluster{Name: "skep"}
	if r := Build(f); r.VIP != nil {
		t.Fatalf("vip section without vip config: %+v", r.VIP)
	}
	if got := vipQuestion(vipCluster(), config.Host{Name: "node9"}); got != "" {
		t.Errorf("a non-manager is asked about the VIP")
	}
}
