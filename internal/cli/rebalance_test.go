package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"skep/internal/rebalance"
)

func TestRebalanceIsRegisteredAndTeaches(t *testing.T) {
	cmd, _, err := NewRootCommand().Find([]string{"rebalance"})
	if err != nil || cmd.Name() != "rebalance" {
		t.Fatalf("skep rebalance is not registered: %v", err)
	}
	for _, flag := range []string{"file", "lab", "stack", "dry-run", "output", "timeout"} {
		if cmd.Flags().Lookup(flag) == nil {
			t.Errorf("skep rebalance has no --%s", flag)
		}
	}
	// What it does, why swarm does not, what it leaves alone and why, and
	// what the JSON holds.
	for _, says := range []string{"swarm never moves a running task", "forced rolling update", "one replica",
		"outage for nothing", "global", "parallelism", "--dry-run", "--output json", `"before"`, `"after"`, "Exit 0"} {
		if !strings.Contains(cmd.Long, says) {
			t.Errorf("skep rebalance --help does not say %q", says)
		}
	}
	if !strings.Contains(cmd.Example, "skep rebalance --dry-run") || !strings.Contains(cmd.Example, "--stack") {
		t.Errorf("skep rebalance --help has no example of --dry-run and --stack:\n%s", cmd.Example)
	}
}

func TestRebalanceExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"an argument", []string{"rebalance", "web"}, ExitBadInput, "takes no argument"},
		{"unknown output", []string{"rebalance", "-o", "yaml"}, ExitBadInput, `--output "yaml"`},
		{"zero timeout", []string{"rebalance", "--timeout", "0s"}, ExitBadInput, "--timeout 0s"},
		{"no manager answers", []string{"rebalance", "-f", writeCluster(t, "")}, ExitFailed, "no manager of cluster t answered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runSkep(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d saying %q", code, stderr, tc.code, tc.says)
			}
		})
	}
}

var rolled = []rebalance.Service{
	{Name: "app_web", Replicas: 3, Eligible: []string{"node1", "node2", "node3"},
		Before: map[string]int{"node1": 2, "node2": 1, "node3": 0}, After: map[string]int{"node1": 1, "node2": 1, "node3": 1},
		Action: rebalance.Rebalanced, Reason: "spread over 3 nodes, at most one task apart"},
	{Name: "app_db", Replicas: 1, Eligible: []string{"node1", "node2", "node3"},
		Before: map[string]int{"node1": 1, "node2": 0, "node3": 0},
		Action: rebalance.Skipped, Reason: "one replica: it cannot be spread"},
}

func TestRebalanceTable(t *testing.T) {
	var buf bytes.Buffer
	if err := writeRebalanceTable(&buf, rebalanceReport{Cluster: "t", Done: true, Services: rolled}); err != nil {
		t.Fatal(err)
	}
	want := "SERVICE   REPLICAS   BEFORE                    AFTER                     RESULT\n" +
		"app_web   3          node1=2 node2=1 node3=0   node1=1 node2=1 node3=1   rebalanced\n" +
		"app_db    1          node1=1 node2=0 node3=0                             skipped: one replica: it cannot be spread\n" +
		"1 service(s) rebalanced; the others were balanced or left alone\n"
	if buf.String() != want {
		t.Errorf("table\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	plan := []rebalance.Service{{Name: "app_web", Replicas: 3, Before: map[string]int{"node1": 2, "node3": 0, "node2": 1}, Action: rebalance.Planned, Reason: "node1 runs 2 tasks while node3 runs 0"}}
	if err := writeRebalanceTable(&buf, rebalanceReport{DryRun: true, Services: plan}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "rebalance: node1 runs 2 tasks while node3 runs 0") || !strings.Contains(buf.String(), "dry run: 1 service(s) would get a rolling update") {
		t.Errorf("dry run table:\n%s", buf.String())
	}
}

// The JSON is the contract the help names: before and after by node,
// after null for a service not rolled, every list an array.
func TestRebalanceJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, rebalanceReport{Cluster: "t", Done: true, Services: rolled}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Cluster  string `json:"cluster"`
		DryRun   *bool  `json:"dry_run"`
		Done     bool   `json:"done"`
		Services []struct {
			Name     string         `json:"name"`
			Eligible []string       `json:"eligible"`
			Before   map[string]int `json:"before"`
			After    map[string]int `json:"after"`
			Action   string         `json:"action"`
			Reason   string         `json:"reason"`
		} `json:"services"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Cluster != "t" || got.DryRun == nil || !got.Done || len(got.Services) != 2 {
		t.Fatalf("%s", buf.String())
	}
	web, db := got.Services[0], got.Services[1]
	if web.Before["node1"] != 2 || web.After["node3"] != 1 || web.Action != "rebalanced" || len(web.Eligible) != 3 {
		t.Errorf("app_web: %+v", web)
	}
	if db.After != nil || !strings.Contains(buf.String(), `"after": null`) || db.Action != "skipped" || db.Reason == "" {
		t.Errorf("app_db: %+v\n%s", db, buf.String())
	}
}
