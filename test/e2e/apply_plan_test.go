//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// planStep is one step of plan or apply --output json.
type planStep struct {
	Host   string `json:"host"`
	Phase  string `json:"phase"`
	Action string `json:"action"`
	Reason string `json:"reason"`
}

func (s planStep) String() string { return s.Host + " | " + s.Phase + " | " + s.Action }

// stepsRun is one plan or apply --output json run outside any test: its
// steps, or err saying why there are none (with the run's stderr).
type stepsRun struct {
	steps   []planStep
	elapsed time.Duration
	err     string
}

// freshPlan and freshApply are plan, then apply, on the lab just made
// (runWithLab): the plan a user would read and what apply then did.
var freshPlan, freshApply stepsRun

// runStepsOnce runs skep with --output json and decodes its steps; the
// progress lines (stderr) are shown as they come, as lab up's are.
func runStepsOnce(timeout time.Duration, args ...string) stepsRun {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, skepBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, io.MultiWriter(os.Stderr, &errb)
	start := time.Now()
	err := cmd.Run()
	r := stepsRun{elapsed: time.Since(start)}
	if err != nil {
		r.err = fmt.Sprintf("skep %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		return r
	}
	var doc struct {
		Steps []planStep `json:"steps"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Steps == nil {
		r.err = fmt.Sprintf("skep %s: no steps in its JSON (%v):\n%s", strings.Join(args, " "), err, out.String())
		return r
	}
	r.steps = doc.Steps
	return r
}

// TestPlanMatchesApply: on the fresh lab, plan listed exactly the steps
// apply then ran: as many, in the same order, each on the same host in the
// same phase with the same action. On the converged lab plan lists nothing
// and apply has nothing to do.
func TestPlanMatchesApply(t *testing.T) {
	t.Run("plan on the fresh lab lists what apply ran", func(t *testing.T) {
		if freshPlan.err != "" {
			t.Fatalf("plan on the fresh lab failed: %s", freshPlan.err)
		}
		if freshApply.err != "" {
			t.Fatalf("apply on the fresh lab failed: %s", freshApply.err)
		}
		plan, ran := freshPlan.steps, freshApply.steps
		t.Logf("fresh lab: plan listed %d steps in %.1fs, apply ran %d in %.1fs", len(plan), freshPlan.elapsed.Seconds(), len(ran), freshApply.elapsed.Seconds())
		if len(ran) == 0 {
			t.Fatal("apply on a fresh lab ran no step")
		}
		var diffs []string
		for i := 0; i < max(len(plan), len(ran)); i++ {
			var p, a planStep
			if i < len(plan) {
				p = plan[i]
			}
			if i < len(ran) {
				a = ran[i]
			}
			if p.Host != a.Host || p.Phase != a.Phase || p.Action != a.Action {
				diffs = append(diffs, fmt.Sprintf("step %d: plan %q, apply %q", i+1, p, a))
			}
		}
		if len(diffs) > 0 {
			t.Fatalf("plan and apply differ (%d plan steps, %d apply steps):\n%s\n\nplan:\n%s\n\napply:\n%s",
				len(plan), len(ran), strings.Join(diffs, "\n"), stepList(plan), stepList(ran))
		}
	})

	t.Run("converged: plan lists nothing, apply has nothing to do", func(t *testing.T) {
		waitHealthy(t, 3*time.Minute)
		r := mustSkep(t, 2*time.Minute, "plan", "--lab", labName, "--output", "json")
		var p struct {
			Steps []planStep `json:"steps"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
			t.Fatalf("plan JSON: %v\n%s", err, r.stdout)
		}
		if p.Steps == nil || len(p.Steps) != 0 {
			t.Fatalf("plan on the converged lab lists steps (or no array):\n%s\n%s", stepList(p.Steps), r.stdout)
		}
		a := mustSkep(t, 3*time.Minute, "apply", "--lab", labName)
		if !strings.Contains(a.stdout, "nothing to do") {
			t.Fatalf("apply on the converged lab did something:\n%s", a.stdout)
		}
	})
}

// stepList is steps one a line, numbered, for a failure message.
func stepList(steps []planStep) string {
	if len(steps) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for i, s := range steps {
		fmt.Fprintf(&b, "  %3d  %s  (%s)\n", i+1, s, s.Reason)
	}
	return strings.TrimRight(b.String(), "\n")
}
