package apply

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
	skswarm "skep/internal/swarm"
)

// Plans are computed from facts alone; these facts mirror what a lab's
// hosts report at each stage (recorded from real runs, trimmed).

func testCluster(roles ...string) *config.Cluster {
	c := &config.Cluster{Name: "t"}
	for i, r := range roles {
		n := string(rune('1' + i))
		c.Hosts = append(c.Hosts, config.Host{Name: "node" + n, Address: "127.0.0.1" + n, Role: r})
	}
	return c
}

func freshFacts() *Facts {
	return &Facts{OS: "debian", Arch: "x86_64", DockerInstalled: true, DockerRunning: true, FUSE: true, VXLAN: true,
		Swarm: skswarm.State{Local: swarm.LocalNodeStateInactive}}
}

// converged returns facts of a finished cluster: journald set, every host
// an active member with the declared role.
func converged(c *config.Cluster) *ClusterFacts {
	cf := &ClusterFacts{Hosts: map[string]*Facts{}, Heartbeat: c.Tuning.Heartbeat()}
	for _, h := range c.Hosts {
		f := freshFacts()
		f.DaemonJSON = `{"log-driver": "journald"}`
		f.Swarm = skswarm.State{Local: swarm.LocalNodeStateActive, NodeID: "id-" + h.Name, ClusterID: "c1", Manager: h.Role == "manager"}
		if h.Role != "manager" {
			f.Swarm.ClusterID = ""
		}
		cf.Hosts[h.Name] = f
		cf.Nodes = append(cf.Nodes, swarm.Node{ID: "id-" + h.Name, Spec: swarm.NodeSpec{Role: swarm.NodeRole(h.Role)}})
	}
	return cf
}

var foundationPhases = map[string]bool{"prepare host": true, "swarm": true, "node labels": true}

func plan(t *testing.T, c *config.Cluster, cf *ClusterFacts) ([]string, error) {
	t.Helper()
	e := &env{cluster: c, facts: cf, result: &Result{}}
	var out []string
	for _, p := range runPhases(c) {
		if !foundationPhases[p.title] {
			continue // later phases read live hosts; they have tests of their own
		}
		steps, err := p.plan(context.Background(), e)
		if err != nil {
			return out, err
		}
		for _, s := range steps {
			out = append(out, s.Host+": "+s.Action)
		}
	}
	return out, nil
}

func TestPlanFreshCluster(t *testing.T) {
	c := testCluster("manager", "manager", "manager")
	cf := &ClusterFacts{Hosts: map[string]*Facts{"node1": freshFacts(), "node2": freshFacts(), "node3": freshFacts()}}
	got, err := plan(t, c, cf)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"node1: write /etc/docker/daemon.json and restart the engine",
		"node2: write /etc/docker/daemon.json and restart the engine",
		"node3: write /etc/docker/daemon.json and restart the engine",
		"node1: initialise the swarm, advertising 127.0.0.11",
		"node2: join the swarm as manager",
		"node3: join the swarm as manager",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlanConvergedIsEmpty(t *testing.T) {
	c := testCluster("manager", "manager", "manager", "worker")
	got, err := plan(t, c, converged(c))
	if err != nil || len(got) != 0 {
		t.Fatalf("converged cluster planned %v (err %v)", got, err)
	}
}

func TestPlanResumesInterruptedJoin(t *testing.T) {
	c := testCluster("manager", "manager", "manager")
	cf := converged(c)
	// node3's join was cut short: its engine is pending and the swarm does
	// not list it.
	cf.Hosts["node3"].Swarm = skswarm.State{Local: swarm.LocalNodeStatePending}
	cf.Nodes = cf.Nodes[:2]
	got, err := plan(t, c, cf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "node3: join the swarm as manager" {
		t.Fatalf("plan %v", got)
	}
}

func TestPlanRolesLabelsAndStrays(t *testing.T) {
	c := testCluster("manager", "manager", "manager", "worker")
	c.Hosts[0].Labels = map[string]string{"zone": "a"}
	cf := converged(c)
	cf.Nodes[3].Spec.Role = swarm.NodeRoleManager // declared worker, is a manager
	cf.Nodes = append(cf.Nodes, swarm.Node{ID: "stale", Description: swarm.NodeDescription{Hostname: "old"},
		Status: swarm.NodeStatus{State: swarm.NodeStateDown, Addr: "127.0.0.99"}})
	got, err := plan(t, c, cf)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{"node4: demote to worker", "node1: remove node old (127.0.0.99, stale) from the swarm", "node1: set node labels zone=a"} {
		if !strings.Contains(joined, want) {
			t.Errorf("plan lacks %q:\n%s", want, joined)
		}
	}
}

func TestPlanRefusesTwoSwarms(t *testing.T) {
	c := testCluster("manager", "manager", "manager")
	cf := converged(c)
	cf.Hosts["node3"].Swarm.ClusterID = "other"
	if _, err := plan(t, c, cf); err == nil || !strings.Contains(err.Error(), "different swarms") {
		t.Fatalf("want a refusal to merge swarms, got %v", err)
	}
}

func TestPlanInstallsDockerOnDebianOnly(t *testing.T) {
	c := testCluster("manager", "manager", "manager")
	cf := converged(c)
	cf.Hosts["node2"].DockerInstalled = false
	got, _ := plan(t, c, cf)
	if !strings.Contains(strings.Join(got, "\n"), "node2: install Docker Engine from the OS packages") {
		t.Fatalf("plan %v", got)
	}
	f := cf.Hosts["node2"]
	f.OS, f.OSName = "fedora", "Fedora Linux 41"
	if ps := hostProblems(f); len(ps) != 1 || !strings.Contains(ps[0], "install Docker Engine") {
		t.Fatalf("problems %v", ps)
	}
}

func TestDaemonJSONKeepsOperatorKeys(t *testing.T) {
	out, diff, err := mergeDaemonJSON(`{"log-driver": "json-file", "debug": true}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(diff) != 1 || !strings.Contains(string(out), `"debug": true`) || !strings.Contains(string(out), `"journald"`) {
		t.Fatalf("merged %s diff %v", out, diff)
	}
	if _, diff, _ := mergeDaemonJSON(string(out)); len(diff) != 0 {
		t.Fatalf("second merge differs: %v", diff)
	}
	if _, _, err := mergeDaemonJSON("{not json"); err == nil {
		t.Fatal("invalid JSON accepted")
	}
}

func TestLockScriptKeepsHolderOutOfArgvQuoting(t *testing.T) {
	s := lockScript("it's me")
	if !strings.Contains(s, `'it'\''s me'`) || !strings.Contains(s, "flock -n 9") {
		t.Fatal(s)
	}
}

func TestParseFacts(t *testing.T) {
	f := parseFacts("os=debian\narch=x86_64\ndocker_installed=yes\nfuse=yes\nbusy=tcp/0.0.0.0:2377\n", timeNow())
	if f.OS != "debian" || !f.DockerInstalled || !f.FUSE || f.VXLAN || len(f.BusyPorts) != 1 {
		t.Fatalf("%+v", f)
	}
	if ps := hostProblems(f); len(ps) != 1 || !strings.Contains(ps[0], "2377") {
		t.Fatalf("busy port not a problem: %v", ps)
	}
}

func timeNow() time.Time { return time.Now() }
