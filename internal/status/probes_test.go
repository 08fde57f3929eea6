package status

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	dswarm "github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
	"skep/internal/health"
	"skep/internal/storage"
)

// sawAt is manager i's view, written at t0+at seconds and read at
// t0+now by its own clock, saying of each node (by swarm host name and
// ID) whether it answers, failing since t0+since.
func sawAt(at, now float64, nodes map[int]nodeSaid) *HostProbes {
	v := health.View{At: tAt(at), Nodes: map[string]health.NodeView{}}
	for i, s := range nodes {
		nv := health.NodeView{ID: id(i), OK: s.ok, Since: tAt(s.since)}
		if !s.ok {
			nv.Error = "no answer in 1s"
		}
		v.Nodes["lab-"+name(i)] = nv
	}
	v.By = "x"
	return &HostProbes{Reading: &health.Reading{View: v, Now: tAt(now)}}
}

type nodeSaid struct {
	ok    bool
	since float64
}

func tAt(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// allOK but node `down`, failing since t0+since.
func allOKBut(down int, since float64) map[int]nodeSaid {
	m := map[int]nodeSaid{1: {true, 0}, 2: {true, 0}, 3: {true, 0}, 4: {true, 0}}
	if down > 0 {
		m[down] = nodeSaid{false, since}
	}
	return m
}

func withProbes(h HostFacts, p *HostProbes) HostFacts {
	h.Probes = p
	return h
}

func probeList() []dswarm.Node { return append(healthyList(), wkr(4, dswarm.NodeStateReady)) }

// Three managers: a worker two of them cannot reach is down by probe, a
// problem though the swarm still sees it ready; one saying so is not.
func TestProbesMajority(t *testing.T) {
	list := probeList()
	r := Build(facts(
		withProbes(up(1, true, list...), sawAt(10, 10.2, allOKBut(4, 7))),
		withProbes(up(2, true, list...), sawAt(10, 10.4, allOKBut(4, 7.5))),
		withProbes(up(3, true, list...), sawAt(10, 10.1, allOKBut(0, 0))),
		up(4, false)))
	n4 := nodeByName(t, r, "node4")
	if n4.Probe != "down" || n4.DownForSeconds != 3.2 || !n4.DownSince.Equal(tAt(7)) || n4.SwarmNoticed == nil || *n4.SwarmNoticed || n4.State != "ready" {
		t.Errorf("node4 %+v", n4)
	}
	wantProblems(t, r, "node4: down by probe for 3s: 2 of 3 managers get no answer (no answer in 1s); the swarm still sees it ready (not noticed yet)")
	if n1 := nodeByName(t, r, "node1"); n1.Probe != "ok" || n1.DownForSeconds != 0 || n1.SwarmNoticed != nil {
		t.Errorf("node1 %+v", n1)
	}

	r = Build(facts(
		withProbes(up(1, true, list...), sawAt(10, 10, allOKBut(4, 7))),
		withProbes(up(2, true, list...), sawAt(10, 10, allOKBut(0, 0))),
		withProbes(up(3, true, list...), sawAt(10, 10, allOKBut(0, 0))),
		up(4, false)))
	wantProblems(t, r)
	if n4 := nodeByName(t, r, "node4"); n4.Probe != "ok" {
		t.Errorf("one of three says down: node4 %+v", n4)
	}
}

// A stale view does not vote and is listed as not known; a frozen
// manager (no SSH) has no view at all, and the other two decide about it.
func TestProbesStaleAndFrozen(t *testing.T) {
	list := probeList()
	list[1].Status.State = dswarm.NodeStateDown // the swarm noticed node2 by now
	r := Build(facts(
		withProbes(up(1, true, list...), sawAt(20, 20, allOKBut(2, 5))),
		dead(2, "manager"),
		withProbes(up(3, true, list...), sawAt(19.5, 20, allOKBut(2, 6))),
		up(4, false)))
	n2 := nodeByName(t, r, "node2")
	if n2.Probe != "down" || n2.DownForSeconds != 15 || n2.SwarmNoticed == nil || !*n2.SwarmNoticed {
		t.Errorf("frozen manager node2 %+v", n2)
	}
	found := false
	for _, p := range r.Problems {
		if p == "node2: down by probe for 15s: 2 of 2 managers get no answer (no answer in 1s); the swarm sees it down too" {
			found = true
		}
	}
	if !found {
		t.Errorf("problems %q", r.Problems)
	}

	r = Build(facts(
		withProbes(up(1, true, probeList()...), sawAt(20, 20, allOKBut(4, 15))),
		withProbes(up(2, true, probeList()...), sawAt(3, 20, allOKBut(4, 1))),
		withProbes(up(3, true, probeList()...), sawAt(20, 20, allOKBut(0, 0))),
		up(4, false)))
	wantProblems(t, r)
	wantUnknown(t, r, "node2: its view of the node probes is 17s old, so it does not count; is skep-leader-agent running? (docker service ps skep-leader-agent)")
	if n4 := nodeByName(t, r, "node4"); n4.Probe != "unknown" {
		t.Errorf("one fresh view for, one against: node4 %+v", n4)
	}
}

// No view on a manager, or one that could not be read, is not known; no
// manager asked (facts without views) says nothing at all.
func TestProbesNotKnown(t *testing.T) {
	list := probeList()
	r := Build(facts(
		withProbes(up(1, true, list...), &HostProbes{Missing: true}),
		withProbes(up(2, true, list...), &HostProbes{Err: &storage.NoAnswer{After: "3s"}}),
		withProbes(up(3, true, list...), sawAt(10, 10, allOKBut(0, 0))),
		up(4, false)))
	wantProblems(t, r)
	if len(r.Unknown) != 2 || !strings.HasPrefix(r.Unknown[0], "node1: no view of the node probes in /run/skep/health;") ||
		!strings.HasPrefix(r.Unknown[1], "node2: its view of the node probes is not known (") {
		t.Errorf("unknown %q", r.Unknown)
	}
	// One fresh view of three: it is a majority of the fresh views.
	if n := nodeByName(t, r, "node4"); n.Probe != "ok" {
		t.Errorf("node4 %+v", n)
	}
	r = Build(facts(up(1, true, list...), up(2, true, list...), up(3, true, list...), up(4, false)))
	for _, n := range r.Nodes {
		if n.Probe != "" {
			t.Errorf("not asked, yet %s has probe %q", n.Name, n.Probe)
		}
	}
}

// The script's answer: the host's clock, then the view or "missing".
func TestScriptAnswerProbes(t *testing.T) {
	v := `{"by":"lab-node1","at":"2026-01-01T00:00:09Z","nodes":{"lab-node2":{"id":"id2","ok":false,"since":"2026-01-01T00:00:05Z","error":"no answer in 1s"}}}`
	ms := tAt(10).UnixMilli()
	a := scriptAnswer{sections: map[string]string{probesSection: strings.Join([]string{itoa(ms), v, ""}, "\n")}}
	hp := a.probes()
	if hp.Err != nil || hp.Reading == nil || hp.Reading.Age() != time.Second || hp.Reading.View.Nodes["lab-node2"].OK {
		t.Fatalf("%+v", hp)
	}
	if hp := (scriptAnswer{sections: map[string]string{probesSection: itoa(ms) + "\nmissing\n"}}).probes(); !hp.Missing {
		t.Errorf("missing: %+v", hp)
	}
	if hp := (scriptAnswer{sections: map[string]string{probesSection: itoa(ms) + "\n" + v[:40] + "\n"}}).probes(); hp.Err == nil {
		t.Errorf("a cut view: %+v", hp)
	}
	if hp := (scriptAnswer{err: &storage.NoAnswer{After: "3s"}}).probes(); !notAnswered(hp.Err) {
		t.Errorf("a silent host: %+v", hp)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// The question is valid shell, reads the newest view file whole (up to
// the bound) and runs on managers without any other section declared.
func TestProbesQuestion(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	c := &config.Cluster{Name: "t", Hosts: []config.Host{{Name: "node1", Role: "manager"}, {Name: "node4", Role: "worker"}}}
	s := hostScript(c, c.Hosts[0], storage.Questions{}, false, false, true)
	if out, err := exec.Command("sh", "-n", "-c", s).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s\n%s", err, out, s)
	}
	for _, want := range []string{"echo '@@skep node_probes'\ndate +%s%3N\n", "ls -t /run/skep/health/*.json", "head -c 262144", "@@skep end"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if p := newProbe(c, c.Hosts[1], 0); p.probes {
		t.Error("a worker is asked for a view")
	}
	if p := newProbe(c, c.Hosts[0], 0); !p.probes {
		t.Error("a manager is not asked for a view")
	}
	// Run it: a missing directory reads as missing.
	out, err := exec.Command("sh", "-c", strings.ReplaceAll(s, health.ViewDir, t.TempDir()+"/none")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if hp := (scriptAnswer{sections: storage.Sections(string(out))}).probes(); !hp.Missing {
		t.Errorf("no directory: %+v from %q", hp, out)
	}
	// A view the agent wrote a moment ago is read whole, with the host's
	// clock.
	dir := t.TempDir()
	if err := health.WriteView(dir, health.View{By: "lab-node1", At: time.Now(), Nodes: map[string]health.NodeView{"lab-node4": {OK: true, Since: t0}}}); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command("sh", "-c", strings.ReplaceAll(s, health.ViewDir, dir)).Output()
	if err != nil {
		t.Fatal(err)
	}
	hp := (scriptAnswer{sections: storage.Sections(string(out))}).probes()
	if hp.Err != nil || hp.Reading == nil || hp.Reading.Age() > time.Second || !hp.Reading.View.Nodes["lab-node4"].OK {
		t.Errorf("a fresh view: %+v from %q", hp, out)
	}
}

// JSON: the new node fields appear only where known; text: a line per
// node down by probe with the swarm's state beside it.
func TestRenderProbes(t *testing.T) {
	list := probeList()
	r := Build(facts(
		withProbes(up(1, true, list...), sawAt(10, 10, allOKBut(4, 3))),
		withProbes(up(2, true, list...), sawAt(10, 10, allOKBut(4, 3))),
		withProbes(up(3, true, list...), sawAt(10, 10, allOKBut(4, 4))),
		up(4, false)))
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Nodes []map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	n1, n4 := got.Nodes[0], got.Nodes[3]
	if k := keys(n1); strings.Join(k, ",") != "address,availability,leader,leader_label,name,probe,role,state" || n1["probe"] != "ok" {
		t.Errorf("node1 %v", n1)
	}
	if n4["probe"] != "down" || n4["down_for_seconds"] != 7.0 || n4["swarm_noticed"] != false || n4["down_since"] != "2026-01-01T00:00:03Z" {
		t.Errorf("node4 %v", n4)
	}
	buf.Reset()
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nprobes: 3 ok, 1 down (views of 3 managers)\n  node4 down 7s (swarm: ready, not noticed yet)\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}
