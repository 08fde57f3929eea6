package health

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// view is manager by's view written at `at` (seconds after t0), saying
// for each node whether it answers and since when (seconds after t0).
func view(by string, at float64, nodes map[string]NodeView) View {
	return View{By: by, At: sec(at), Nodes: nodes}
}

func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func up(since float64) NodeView {
	return NodeView{ID: "", OK: true, Since: sec(since), LastOK: sec(since + 1)}
}

func down(since float64, why string) NodeView { return NodeView{Since: sec(since), Error: why} }

// read is a view read at `now` seconds after t0, by the writer's clock.
func read(v View, now float64) Reading { return Reading{View: v, Now: sec(now)} }

func verdictOf(t *testing.T, vs []Verdict, name string) Verdict {
	t.Helper()
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no verdict for %s in %+v", name, vs)
	return Verdict{}
}

// Three managers: a node is down when two of them say so, not when one
// does; stale views do not vote; a frozen manager's own view is absent
// and the two others decide.
func TestJudgeMajority(t *testing.T) {
	cases := []struct {
		name     string
		node     string
		readings []Reading
		probe    string
		votes    [3]int // down, ok, views
		downFor  time.Duration
	}{
		{"two of three say down", "node4", []Reading{
			read(view("node1", 10, map[string]NodeView{"node4": down(7, "no answer in 1s")}), 10.5),
			read(view("node2", 10, map[string]NodeView{"node4": down(8, "no answer in 1s")}), 10.2),
			read(view("node3", 10, map[string]NodeView{"node4": up(0)}), 10.1),
		}, ProbeDown, [3]int{2, 1, 3}, 3500 * time.Millisecond},
		{"one of three says down", "node4", []Reading{
			read(view("node1", 10, map[string]NodeView{"node4": down(7, "no answer in 1s")}), 10),
			read(view("node2", 10, map[string]NodeView{"node4": up(0)}), 10),
			read(view("node3", 10, map[string]NodeView{"node4": up(0)}), 10),
		}, ProbeOK, [3]int{1, 2, 3}, 0},
		{"a stale view does not vote", "node4", []Reading{
			read(view("node1", 10, map[string]NodeView{"node4": down(7, "no answer in 1s")}), 10),
			read(view("node2", 2, map[string]NodeView{"node4": down(1, "no answer in 1s")}), 10),
			read(view("node3", 10, map[string]NodeView{"node4": up(0)}), 10),
		}, ProbeUnknown, [3]int{1, 1, 2}, 0},
		{"a frozen manager: its view absent, the two others agree", "node2", []Reading{
			read(view("node1", 10, map[string]NodeView{"node2": down(6, "no answer in 1s"), "node3": up(0)}), 10),
			read(view("node3", 9.5, map[string]NodeView{"node2": down(5.5, "no answer in 1s"), "node1": up(0)}), 10),
		}, ProbeDown, [3]int{2, 0, 2}, 4500 * time.Millisecond},
	}
	for _, c := range cases {
		fresh, stale := Split(c.readings, Fresh)
		if len(fresh)+len(stale) != len(c.readings) {
			t.Fatalf("%s: split lost readings", c.name)
		}
		v := verdictOf(t, Judge(fresh), c.node)
		if v.Probe != c.probe || [3]int{v.Down, v.OK, v.Views} != c.votes || v.DownFor != c.downFor {
			t.Errorf("%s: %+v, want %s with down/ok/views %v, down for %s", c.name, v, c.probe, c.votes, c.downFor)
		}
	}
}

// down_for is the longest any down-voting view has seen it, each by its
// own clock, and down since the earliest since among them.
func TestJudgeDownForFromEarliestSince(t *testing.T) {
	fresh := []Reading{
		// node1's clock runs 2 s ahead of node3's: each is reckoned alone.
		read(view("node1", 22, map[string]NodeView{"node4": down(15, "no answer in 1s")}), 22.5),
		read(view("node3", 20, map[string]NodeView{"node4": down(11, "engine: no answer from the engine in 500ms")}), 20.4),
	}
	v := verdictOf(t, Judge(fresh), "node4")
	if v.Probe != ProbeDown || !v.DownSince.Equal(sec(11)) || v.DownFor != 9400*time.Millisecond ||
		v.Why != "engine: no answer from the engine in 500ms" {
		t.Errorf("verdict %+v", v)
	}
}

// Nodes are told apart by ID: a node that left and joined again under
// the same host name is two nodes.
func TestJudgeByNodeID(t *testing.T) {
	old, cur := down(0, "no probe task answers for it"), up(5)
	old.ID, cur.ID = "old", "new"
	fresh := []Reading{
		read(view("node1", 10, map[string]NodeView{"node4": cur}), 10),
		read(view("node2", 10, map[string]NodeView{"node4": cur}), 10),
		read(view("node3", 10, map[string]NodeView{"node4": old}), 10),
	}
	vs := Judge(fresh)
	if len(vs) != 2 || vs[0].ID != "new" || vs[0].Probe != ProbeOK || vs[1].ID != "old" || vs[1].Probe != ProbeUnknown {
		t.Errorf("verdicts %+v", vs)
	}
}
