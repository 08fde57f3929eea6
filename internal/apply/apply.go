// Package apply converges hosts to a cluster file: connect, gather facts,
// plan, then run phases in order, every change passing through one gate.
// With the gate closed (plan) the same code runs and nothing changes.
package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"skep/internal/config"
	"skep/internal/host"
)

// Options says what to converge and how.
type Options struct {
	Cluster *config.Cluster
	// Wet opens the gate; false computes and reports the plan only.
	Wet               bool
	AcceptNewHostKeys bool
	// Verbose adds what was learned of each host to the progress lines.
	Verbose bool
	// Logf prints one progress line; host is "" for cluster-wide lines.
	// No secret ever goes through it: its output may be kept anywhere.
	Logf func(host, format string, args ...any)
	// SecretDir is where apply hands over a secret it made and that only
	// the operator may keep (the Traefik API password): one 0600 file each,
	// in a 0700 directory, whose path is logged.
	SecretDir string
	// RemoveData lets the removal of a section the cluster file no longer
	// has delete that section's data too: GlusterFS volumes, bricks and
	// glusterd's state, the controller's ACME account and certificates.
	// Without it, removal takes services, containers and configs only.
	// The CLI sets it only after the operator confirmed.
	RemoveData bool
}

// Result is what a run did (or, dry, would do).
type Result struct {
	Steps    []Step
	Warnings []string
	Elapsed  time.Duration
}

// env is the state of one run, shared by its phases.
type env struct {
	opts    Options
	cluster *config.Cluster
	hosts   map[string]host.Node
	facts   *ClusterFacts
	gate    *gate
	result  *Result
	images  images
}

func (e *env) logf(hostName, format string, args ...any) {
	if e.opts.Logf != nil {
		e.opts.Logf(hostName, format, args...)
	}
}

// phase is one stage of an apply. plan derives the steps from the facts;
// the gate runs them (or only reports them when dry).
type phase struct {
	title string
	plan  func(ctx context.Context, e *env) ([]Step, error)
}

// Run converges the cluster. Preflight problems stop it before any change.
func Run(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	e := &env{opts: opts, cluster: opts.Cluster, result: &Result{}}
	e.gate = &gate{wet: opts.Wet, logf: e.logf, result: e.result}
	defer func() { e.result.Elapsed = time.Since(start) }()
	defer e.images.close()

	e.logf("", "connecting to %d hosts", len(e.cluster.Hosts))
	hosts, err := connect(ctx, e.cluster, opts.AcceptNewHostKeys)
	defer closeAll(hosts)
	if err != nil {
		return e.result, err
	}
	e.hosts = nodes(hosts)
	if e.facts, err = gatherFacts(ctx, e.hosts); err != nil {
		return e.result, err
	}
	if opts.Verbose {
		for _, name := range sortedHosts(e.facts.Hosts) {
			e.logf(name, "%s", e.facts.Hosts[name].summary())
		}
	}
	if err := preflight(e); err != nil {
		return e.result, err
	}
	if opts.Wet {
		unlock, err := lock(ctx, e)
		if err != nil {
			return e.result, err
		}
		defer unlock()
	}
	for _, p := range runPhases(e.cluster) {
		steps, err := p.plan(ctx, e)
		if err != nil {
			return e.result, fmt.Errorf("%s: %w", p.title, err)
		}
		if err := e.gate.run(ctx, p.title, steps); err != nil {
			return e.result, err
		}
		if opts.Wet && len(steps) > 0 {
			// Later phases plan from what is true now, not before.
			if e.facts, err = gatherFacts(ctx, e.hosts); err != nil {
				return e.result, err
			}
		}
	}
	if opts.Wet {
		if err := verify(ctx, e); err != nil {
			return e.result, err
		}
	}
	return e.result, nil
}

func connect(ctx context.Context, c *config.Cluster, acceptNew bool) (map[string]*host.Host, error) {
	return host.DialAll(ctx, host.Targets(c, acceptNew, 10*time.Second))
}

// nodes is the connected hosts as the steps use them: through host.Node,
// which tests fake.
func nodes(hosts map[string]*host.Host) map[string]host.Node {
	out := make(map[string]host.Node, len(hosts))
	for name, h := range hosts {
		out[name] = h
	}
	return out
}

func closeAll(hosts map[string]*host.Host) {
	for _, h := range hosts {
		h.Close()
	}
}

// joinHostErrors folds per-host errors into one, in host order, each
// already naming its host.
func joinHostErrors(errs map[string]error) error {
	if len(errs) == 0 {
		return nil
	}
	var list []error
	for _, n := range sortedHosts(errs) {
		list = append(list, fmt.Errorf("%s: %w", n, errs[n]))
	}
	return errors.Join(list...)
}
