package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"skep/internal/apply"
	"skep/internal/tuning"
)

// applyReport is what plan and apply print with --output json: the steps
// apply ran (or plan would run) in order, each with host, phase, action
// and reason, so a script or a test can compare a plan with the apply that
// followed it.
type applyReport struct {
	Cluster string       `json:"cluster"`
	Applied bool         `json:"applied"` // false for plan: nothing was changed
	Steps   []apply.Step `json:"steps"`
	// Warnings and Steps are arrays even when empty, so `jq length` works.
	Warnings       []string `json:"warnings"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	// Tuning is plan's list of the timings skep sets on purpose; apply's
	// report leaves it out.
	Tuning []tuning.Setting `json:"tuning,omitempty"`
}

func newApplyReport(cluster string, res *apply.Result, applied bool, tuned []tuning.Setting) applyReport {
	r := applyReport{Cluster: cluster, Applied: applied, Steps: res.Steps, Warnings: res.Warnings,
		ElapsedSeconds: math.Round(res.Elapsed.Seconds()*1000) / 1000, Tuning: tuned}
	if r.Steps == nil {
		r.Steps = []apply.Step{}
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	return r
}

func writeApplyJSON(w io.Writer, cluster string, res *apply.Result, applied bool, tuned []tuning.Setting) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(newApplyReport(cluster, res, applied, tuned))
}

// outputFormat checks --output; with json the progress lines go to stderr,
// keeping stdout one JSON document.
func outputFormat(output string, stdout, stderr io.Writer) (progress io.Writer, err error) {
	switch output {
	case "", "text":
		return stdout, nil
	case "json":
		return stderr, nil
	}
	return nil, badInput(fmt.Errorf("--output %q: use text or json", output), "")
}
