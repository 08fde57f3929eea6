package apply

import (
	"fmt"
	"strings"
	"testing"

	"skep/internal/config"
	"skep/internal/vip"
)

func vipCluster(roles ...string) *config.Cluster {
	c := &config.Cluster{Name: "t"}
	for i, r := range roles {
		c.Hosts = append(c.Hosts, config.Host{Name: fmt.Sprintf("node%d", i+1), Address: fmt.Sprintf("10.213.0.%d", 11+i), Role: r})
	}
	c.VIP = &config.VIP{Address: "10.213.0.250"}
	c.ApplyDefaults()
	return c
}

// vipHostFacts is a host as FactsScript reports it (recorded from a lab
// node), holding the VIP or not.
func vipHostNet(i int, holds bool) vip.HostFacts {
	out := fmt.Sprintf("route=10.213.0.%d dev eth0 src 10.213.0.%d uid 0\naddr=lo 127.0.0.1/8\naddr=eth0 10.213.0.%d/24\n", 12-i%2, 11+i, 11+i)
	if holds {
		out += "addr=eth0 10.213.0.250/32\n"
	}
	return vip.ParseFacts(out)
}

// convergedVIP: keepalived running everywhere with the rendered config,
// node1 holding the VIP.
func convergedVIP(t *testing.T, c *config.Cluster, tag string) map[string]*vipFacts {
	t.Helper()
	facts := map[string]*vipFacts{}
	for i, h := range c.Hosts {
		facts[h.Name] = &vipFacts{}
		if h.Role == config.RoleManager {
			facts[h.Name].net = vipHostNet(i, i == 0)
		}
	}
	params, err := vipParams(c, facts)
	if err != nil {
		t.Fatal(err)
	}
	spec := vip.ContainerSpec(tag, vip.TrackCheck(c), false)
	for name, p := range params {
		conf, err := vip.Render(p)
		if err != nil {
			t.Fatal(err)
		}
		f := facts[name]
		f.net.Config, f.net.HasConfig = conf, true
		f.container = vip.Running{Exists: true, Running: true, Image: tag, SpecHash: spec.Hash()}
	}
	return facts
}

func vipPlan(t *testing.T, c *config.Cluster, tag string, facts map[string]*vipFacts) []string {
	t.Helper()
	steps, err := vipSteps(&env{cluster: c, result: &Result{}}, tag, facts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range steps {
		out = append(out, s.Host+": "+s.Action+" ("+s.Reason+")")
	}
	return out
}

func TestVIPPlanFresh(t *testing.T) {
	c := vipCluster("manager", "manager", "manager", "worker")
	facts := map[string]*vipFacts{}
	for i, h := range c.Hosts {
		facts[h.Name] = &vipFacts{net: vipHostNet(i, false)}
	}
	got := vipPlan(t, c, "skep-keepalived:new", facts)
	if len(got) != 3 {
		t.Fatalf("plan:\n%s", strings.Join(got, "\n"))
	}
	for i, want := range []string{"node1: start keepalived (container skep-keepalived, priority 200, on eth0 as 10.213.0.11)", "node2: start keepalived", "node3: start keepalived"} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("step %d: %s, want %s", i, got[i], want)
		}
	}
	// Only the first start listens for foreign routers: after it, our own
	// adverts are on the wire.
	if !strings.Contains(got[0], "other VRRP routers on router id 51") || strings.Contains(got[1], "other VRRP routers") {
		t.Errorf("listening:\n%s", strings.Join(got, "\n"))
	}
}

func TestVIPPlanConvergedIsEmpty(t *testing.T) {
	c := vipCluster("manager", "manager", "manager", "worker")
	if got := vipPlan(t, c, "skep-keepalived:x", convergedVIP(t, c, "skep-keepalived:x")); len(got) != 0 {
		t.Fatalf("converged cluster planned:\n%s", strings.Join(got, "\n"))
	}
}

func TestVIPPlanAdvertChangeReloadsHolderLast(t *testing.T) {
	c := vipCluster("manager", "manager", "manager")
	facts := convergedVIP(t, c, "skep-keepalived:x")
	c.VIP.AdvertInterval = "250ms"
	got := vipPlan(t, c, "skep-keepalived:x", facts)
	if len(got) != 3 || !strings.HasPrefix(got[2], "node1: write /etc/skep/keepalived/keepalived.conf and reload keepalived") {
		t.Fatalf("plan:\n%s", strings.Join(got, "\n"))
	}
	if !strings.Contains(got[0], "advert_int 0.25") {
		t.Errorf("reason does not say what changed: %s", got[0])
	}
}

func TestVIPPlanNewImageReplacesHolderLast(t *testing.T) {
	c := vipCluster("manager", "manager", "manager")
	facts := convergedVIP(t, c, "skep-keepalived:old")
	facts["node2"].container.Running = false
	got := vipPlan(t, c, "skep-keepalived:new", facts)
	want := []string{"node2: replace container skep-keepalived (container skep-keepalived is stopped)",
		"node3: replace container skep-keepalived (image is skep-keepalived:old, want skep-keepalived:new)",
		"node1: replace container skep-keepalived (image is skep-keepalived:old, want skep-keepalived:new)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestVIPPlanRemovesWhereNotWanted(t *testing.T) {
	c := vipCluster("manager", "manager", "manager", "worker")
	facts := convergedVIP(t, c, "skep-keepalived:x")
	facts["node4"].container = vip.Running{Exists: true, Running: true}
	got := vipPlan(t, c, "skep-keepalived:x", facts)
	if len(got) != 1 || !strings.HasPrefix(got[0], "node4: remove container skep-keepalived (keepalived runs on managers only") {
		t.Fatalf("plan:\n%s", strings.Join(got, "\n"))
	}
	c.VIP = nil
	if got := vipPlan(t, c, "skep-keepalived:x", facts); len(got) != 4 || !strings.Contains(got[0], "no vip section") {
		t.Fatalf("plan without vip:\n%s", strings.Join(got, "\n"))
	}
}

func TestVIPPlanNamesHostAndField(t *testing.T) {
	c := vipCluster("manager", "manager", "manager")
	c.VIP.Address = "10.99.0.250"
	facts := convergedVIP(t, vipCluster("manager", "manager", "manager"), "x")
	_, err := vipSteps(&env{cluster: c}, "x", facts)
	if err == nil || !strings.Contains(err.Error(), "node1: vip.address 10.99.0.250 is not in the subnet of eth0") || !strings.Contains(err.Error(), "node3:") {
		t.Fatalf("error: %v", err)
	}
}

func TestConfigDiff(t *testing.T) {
	if got := configDiff([]byte("a 1\n  b 2\n}\n"), []byte("# new\na 1\n  b 3\n}\n"), true); got != "settings changed: b 3" {
		t.Error(got)
	}
	if got := configDiff(nil, []byte("a"), false); !strings.Contains(got, "missing") {
		t.Error(got)
	}
}

// A host whose engine's cgroup has a real-time budget gets keepalived with
// one (its container replaced once); a host whose kernel wants a budget it
// lacks keeps its container and is warned about.
func TestVIPPlanRealTime(t *testing.T) {
	c := vipCluster("manager", "manager", "manager")
	facts := convergedVIP(t, c, "skep-vip:x")
	facts["node2"].net.RTGroups, facts["node2"].net.RTCgroup, facts["node2"].net.RTBudget = true, "/docker/n2/skep-node", 60000
	facts["node3"].net.RTGroups, facts["node3"].net.RTCgroup = true, "/docker"
	e := &env{cluster: c, result: &Result{}}
	steps, err := vipSteps(e, "skep-vip:x", facts)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].Host != "node2" || steps[0].Reason != "container settings changed" {
		t.Fatalf("plan: %+v", steps)
	}
	if len(e.result.Warnings) != 1 || !strings.HasPrefix(e.result.Warnings[0], "node3: keepalived runs without real-time scheduling") {
		t.Fatalf("warnings: %q", e.result.Warnings)
	}
}
