package apply

import (
	"context"
	"fmt"
)

// Step is one change to one host, with the reason it is needed.
type Step struct {
	Host   string `json:"host"`
	Phase  string `json:"phase"`
	Action string `json:"action"`
	Reason string `json:"reason"`
	run    func(ctx context.Context) error
}

// gate is the one place a change passes: it logs host and action, and runs
// the change only when the run is wet. plan is a run with the gate closed.
type gate struct {
	wet    bool
	logf   func(host, format string, args ...any)
	result *Result
}

func (g *gate) run(ctx context.Context, phase string, steps []Step) error {
	for _, s := range steps {
		s.Phase = phase
		g.result.Steps = append(g.result.Steps, s)
		if !g.wet {
			g.logf(s.Host, "would %s (%s)", s.Action, s.Reason)
			continue
		}
		g.logf(s.Host, "%s (%s)", s.Action, s.Reason)
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %s: %w", s.Host, s.Action, err)
		}
	}
	return nil
}
