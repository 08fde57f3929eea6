package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/tuning"
)

// The JSON contract scripts and the e2e plan/apply comparison read: key
// names, steps in order with all four fields, arrays never null.
func TestApplyJSONShape(t *testing.T) {
	res := &apply.Result{
		Steps: []apply.Step{
			{Host: "node1", Phase: "swarm", Action: "initialise the swarm", Reason: "no swarm yet"},
			{Host: "node2", Phase: "swarm", Action: "join the swarm as manager", Reason: "declared manager"},
		},
		Warnings: []string{"node3: clock 2s off"},
		Elapsed:  12345 * time.Millisecond,
	}
	var b bytes.Buffer
	if err := writeApplyJSON(&b, "lab1", res, true, nil); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	for _, k := range []string{"cluster", "applied", "steps", "warnings", "elapsed_seconds"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no key %q in %s", k, b.String())
		}
	}
	if len(got) != 5 {
		t.Errorf("keys %v, want exactly the five above", got)
	}
	if got["cluster"] != "lab1" || got["applied"] != true || got["elapsed_seconds"] != 12.345 {
		t.Errorf("cluster, applied, elapsed: %v %v %v", got["cluster"], got["applied"], got["elapsed_seconds"])
	}
	steps, _ := got["steps"].([]any)
	if len(steps) != 2 {
		t.Fatalf("steps %v", got["steps"])
	}
	second, _ := steps[1].(map[string]any)
	want := map[string]any{"host": "node2", "phase": "swarm", "action": "join the swarm as manager", "reason": "declared manager"}
	if len(second) != len(want) {
		t.Errorf("step keys %v, want %v", second, want)
	}
	for k, v := range want {
		if second[k] != v {
			t.Errorf("step[1].%s = %v, want %v", k, second[k], v)
		}
	}
	if w, _ := got["warnings"].([]any); len(w) != 1 || w[0] != "node3: clock 2s off" {
		t.Errorf("warnings %v", got["warnings"])
	}
}

// A converged cluster: empty arrays, not null, and a plan says applied false.
func TestApplyJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := writeApplyJSON(&b, "c", &apply.Result{}, false, nil); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Applied  *bool             `json:"applied"`
		Steps    []json.RawMessage `json:"steps"`
		Warnings []string          `json:"warnings"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Steps == nil || len(got.Steps) != 0 || got.Warnings == nil || len(got.Warnings) != 0 {
		t.Errorf("want empty arrays, got %s", b.String())
	}
	if got.Applied == nil || *got.Applied {
		t.Errorf("a plan must say applied false: %s", b.String())
	}
}

// plan's report lists the tuning, each with name, value, stock and reason;
// the text form is one "tuning: " line each.
func TestPlanJSONTuning(t *testing.T) {
	c := &config.Cluster{Name: "c", Storage: &config.Storage{}}
	c.Tuning.DispatcherHeartbeat = "2s"
	tuned := tuning.Of(c)
	var b bytes.Buffer
	if err := writeApplyJSON(&b, "c", &apply.Result{}, false, tuned); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tuning []map[string]string `json:"tuning"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Tuning) != len(tuned) || len(got.Tuning) < 3 {
		t.Fatalf("tuning %v, want the %d settings", got.Tuning, len(tuned))
	}
	first := got.Tuning[0]
	if len(first) != 4 || first["name"] != "tuning.dispatcher_heartbeat" || first["value"] != "2s" || first["stock"] != "5s" || first["reason"] == "" {
		t.Errorf("tuning[0] = %v", first)
	}
	var text bytes.Buffer
	writeTuning(&text, tuned)
	lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
	if len(lines) != len(tuned) || !strings.HasPrefix(lines[0], "tuning: tuning.dispatcher_heartbeat 2s (stock 5s): ") {
		t.Errorf("text:\n%s", text.String())
	}
}

// With json the progress lines leave stdout to the document; anything but
// text or json is bad input (exit 2) before any host is contacted.
func TestOutputFormat(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, c := range []struct {
		output string
		want   io.Writer
	}{{"", &stdout}, {"text", &stdout}, {"json", &stderr}} {
		w, err := outputFormat(c.output, &stdout, &stderr)
		if err != nil || w != c.want {
			t.Errorf("--output %q: progress to %p (%v), want %p", c.output, w, err, c.want)
		}
	}
	_, err := outputFormat("yaml", &stdout, &stderr)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitBadInput {
		t.Errorf("--output yaml: %v, want bad input", err)
	}
}

// runApply refuses a bad --output before it connects to anything: the
// cluster here names no reachable host.
func TestRunApplyRejectsOutput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runApply(t.Context(), &stdout, &stderr, nil, &applyOptions{output: "yaml"}, false, true)
	if report(io.Discard, err) != ExitBadInput {
		t.Fatalf("err %v, want exit 2", err)
	}
	if stdout.Len()+stderr.Len() != 0 {
		t.Errorf("printed %q %q before refusing", stdout.String(), stderr.String())
	}
}

func TestPlanAndApplyTakeOutput(t *testing.T) {
	for name, f := range map[string]func(*globals) *cobra.Command{"plan": NewPlanCommand, "apply": NewApplyCommand} {
		fl := f(&globals{}).Flags().Lookup("output")
		if fl == nil || fl.Shorthand != "o" || fl.DefValue != "text" {
			t.Errorf("%s: --output flag %+v, want -o defaulting to text", name, fl)
		}
	}
}
