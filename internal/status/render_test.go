package status

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func sampleReport() *Report {
	return &Report{
		Cluster:  "skep",
		Healthy:  false,
		Problems: []string{"node2: not reachable over SSH (dial tcp 127.0.0.12:22: i/o timeout)"},
		Nodes: []Node{
			{Name: "node1", Address: "127.0.0.11", Role: "manager", State: "ready", Availability: "active", Leader: true, LeaderLabel: true},
			{Name: "node2", Address: "127.0.0.12", Role: "manager", State: "down", Availability: "active"},
			{Name: "node3", Address: "127.0.0.13", Role: "manager", State: "unknown"},
		},
		Swarm: &Swarm{Managers: 3, ReachableManagers: 2, Quorum: true},
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestWriteJSONContract checks the field names of the `skep status --output
// json` contract (README.md, "Status as JSON").
func TestWriteJSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\n  \"cluster\": \"skep\",\n") {
		t.Errorf("not indented:\n%s", buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if k := keys(got); !reflect.DeepEqual(k, []string{"cluster", "healthy", "nodes", "problems", "swarm", "unknown"}) {
		t.Errorf("top-level keys = %v", k)
	}
	if got["cluster"] != "skep" || got["healthy"] != false {
		t.Errorf("cluster/healthy = %v/%v", got["cluster"], got["healthy"])
	}
	nodes := got["nodes"].([]any)
	n1 := nodes[0].(map[string]any)
	if k := keys(n1); !reflect.DeepEqual(k, []string{"address", "availability", "leader", "leader_label", "name", "role", "state"}) {
		t.Errorf("node keys = %v", k)
	}
	want := map[string]any{"name": "node1", "address": "127.0.0.11", "role": "manager", "state": "ready", "availability": "active", "leader": true, "leader_label": true}
	if !reflect.DeepEqual(n1, want) {
		t.Errorf("node1 = %v, want %v", n1, want)
	}
	sw := got["swarm"].(map[string]any)
	wantSw := map[string]any{"managers": 3.0, "reachable_managers": 2.0, "quorum": true}
	if !reflect.DeepEqual(sw, wantSw) {
		t.Errorf("swarm = %v, want %v", sw, wantSw)
	}
	if p := got["problems"].([]any); len(p) != 1 || !strings.HasPrefix(p[0].(string), "node2: not reachable over SSH (") {
		t.Errorf("problems = %v", p)
	}
}

func TestWriteJSONProblemsAlwaysArray(t *testing.T) {
	for _, r := range []*Report{
		{Cluster: "skep", Healthy: true},                                      // nil slices
		Build(facts(up(1, true, healthyList()...), up(2, true), up(3, true))), // healthy, built
	} {
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if string(got["problems"]) != "[]" {
			t.Errorf("problems = %s, want []\n%s", got["problems"], buf.String())
		}
		if string(got["unknown"]) != "[]" {
			t.Errorf("unknown = %s, want []\n%s", got["unknown"], buf.String())
		}
		if s := string(got["nodes"]); s == "null" {
			t.Errorf("nodes = null\n%s", buf.String())
		}
	}
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(out, "\n")
	if lines[0] != "cluster skep: UNHEALTHY" {
		t.Errorf("header = %q", lines[0])
	}
	for _, want := range [][]string{
		{"NODE", "ADDRESS", "ROLE", "STATE", "AVAILABILITY", "LEADER"},
		{"node1", "127.0.0.11", "manager", "ready", "active", "*", "labelled"},
		{"node2", "127.0.0.12", "manager", "down", "active"},
		{"node3", "127.0.0.13", "manager", "unknown", "-"},
	} {
		if !slices.ContainsFunc(lines, func(l string) bool { return slices.Equal(strings.Fields(l), want) }) {
			t.Errorf("no table row %v in:\n%s", want, out)
		}
	}
	// Columns line up: every row's ADDRESS starts where the header's does.
	col := strings.Index(out[strings.Index(out, "NODE"):], "ADDRESS")
	for _, l := range lines {
		if strings.HasPrefix(l, "node") && strings.Index(l, "127.") != col {
			t.Errorf("misaligned row %q (address at %d, header at %d)", l, strings.Index(l, "127."), col)
		}
	}
	for _, want := range []string{
		"swarm: managers 3, reachable 2, quorum yes\n",
		"node2: not reachable over SSH (dial tcp 127.0.0.12:22: i/o timeout)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestWriteTextNotKnown(t *testing.T) {
	r := sampleReport()
	r.Unknown = []string{"storage: heal status not known (node1: no answer in 2s)"}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\nnot known (1):\n  - storage: heal status not known (node1: no answer in 2s)\n") {
		t.Errorf("no not-known block in:\n%s", buf.String())
	}
}

func TestWriteTextHealthy(t *testing.T) {
	r := Build(facts(up(1, true, healthyList()...), up(2, true), up(3, true)))
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"cluster skep: HEALTHY\n", "quorum yes", "no problems"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "UNHEALTHY") {
		t.Errorf("healthy report says UNHEALTHY:\n%s", out)
	}
}

func TestWriteTextNoTrailingSpaces(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.TrimRight(l, " ") != l {
			t.Errorf("trailing spaces in %q", l)
		}
	}
}

func TestWriteJSONKeepsArrows(t *testing.T) {
	r := &Report{Cluster: "skep", Problems: []string{"node1: not reachable over SSH (read tcp 127.0.0.1:1->127.0.0.11:22: i/o timeout)"}}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "1->127") {
		t.Errorf("arrow escaped:\n%s", buf.String())
	}
}
