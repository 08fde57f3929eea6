// Package stackdeploy is skep stack deploy's flow as a library, so the CLI
// and the benchmarks deploy the same way: load the compose files, fit the
// stack to the cluster, check the nodes' images, create its directories on
// the shared storage, create or update it through a manager and wait until
// it runs.
package stackdeploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"skep/internal/config"
	"skep/internal/stack"
)

// DialTimeout bounds reaching one host: a host that does not answer
// within it is down for the stack commands.
const DialTimeout = 10 * time.Second

// Options is one deploy.
type Options struct {
	// Cluster reads the cluster file; it is called once the compose
	// files are known good, so a problem in them is told first.
	Cluster  func() (*config.Cluster, error)
	Name     string   // the stack's name
	Files    []string // compose files, later ones override
	EnvFiles []string
	Environ  []string // variables for the files, as os.Environ() gives them
	Detach   bool     // return once swarm has the stack
	Timeout  time.Duration
	// Print gets each warning and note line ("warning: ...", "note: ...");
	// Logf and Hostf get progress lines, Hostf's about one host. Any may
	// be nil.
	Print func(line string)
	Logf  func(format string, args ...any)
	Hostf func(host, format string, args ...any)
	// Deployed is called once swarm has the stack, before the wait.
	Deployed func(*stack.DeployResult)
}

// Result is what a deploy did.
type Result struct {
	Loaded *stack.Loaded
	Stack  *stack.Stack
	Deploy *stack.DeployResult
	// Running says every task was seen running; false with Detach.
	Running bool
}

// ConvertError is a compose file swarm cannot take (or that the cluster
// cannot fit); nothing was changed.
type ConvertError struct {
	Stack string
	Err   error
}

func (e *ConvertError) Error() string { return fmt.Sprintf("stack %s: %v", e.Stack, e.Err) }
func (e *ConvertError) Unwrap() error { return e.Err }

// WaitError is a stack that swarm has but that did not run: a task failed
// or the timeout passed.
type WaitError struct{ Err error }

func (e *WaitError) Error() string { return e.Err.Error() }
func (e *WaitError) Unwrap() error { return e.Err }

// Run deploys. A problem in the files is a *stack.LoadError and one swarm
// cannot take a *ConvertError, both before any host is contacted; no
// manager answering is a *NoManagerError; a stack that does not run is a
// *WaitError, returned with the Result of what was deployed.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	loaded, err := stack.Load(ctx, stack.LoadOptions{Files: o.Files, EnvFiles: o.EnvFiles, Name: o.Name, Environ: o.Environ})
	if err != nil {
		return nil, err
	}
	for _, w := range loaded.Warnings {
		o.Print("warning: " + w)
	}
	c, err := o.Cluster()
	if err != nil {
		return nil, err
	}
	convert := func(ipvs bool) (*stack.Stack, error) {
		st, err := stack.Convert(loaded.Project, convertOptions(c, o.Name, ipvs))
		if err != nil {
			return nil, &ConvertError{Stack: o.Name, Err: err}
		}
		return st, nil
	}
	// Whether the kernel has IPVS changes endpoint modes only: a file
	// swarm cannot take fails here, before any host is contacted.
	if _, err := convert(false); err != nil {
		return nil, err
	}

	sc, err := reach(ctx, c)
	if err != nil {
		return nil, err
	}
	defer sc.close()
	for _, e := range sc.unreached {
		o.Logf("not reached: %v", e)
	}
	ipvs, err := sc.ipvs(ctx)
	if err != nil {
		return nil, err
	}
	st, err := convert(ipvs)
	if err != nil {
		return nil, err
	}
	for _, n := range st.Notes {
		o.Print("note: " + n)
	}
	// Every check that reads comes first: a node lacking an image stops
	// the deploy before anything is created.
	nodes, err := sc.placeable(ctx)
	if err != nil {
		return nil, err
	}
	if err := stack.PinImages(ctx, st, nodes); err != nil {
		return nil, err
	}
	// The swarm's own preflight too, before the directories are made: a
	// refused stack leaves nothing behind.
	if err := stack.Check(ctx, sc.mgr, st); err != nil {
		return nil, err
	}
	if err := sc.makeDirs(ctx, st.Dirs); err != nil {
		return nil, err
	}
	mgr := sc.mgrHost.Name()
	if len(st.Dirs) > 0 {
		o.Hostf(mgr, "directories on the shared storage: %s", strings.Join(st.Dirs, " "))
	}
	res, err := stack.Deploy(ctx, sc.mgr, st, func(line string) { o.Hostf(mgr, "%s", line) })
	if err != nil {
		return nil, err
	}
	o.Deployed(res)
	out := &Result{Loaded: loaded, Stack: st, Deploy: res}
	if o.Detach {
		return out, nil
	}
	err = stack.Wait(ctx, sc.mgr, o.Name, loaded.Project.ServiceNames(),
		stack.WaitOptions{Timeout: o.Timeout, Report: func(line string) { o.Logf("%s", line) }})
	if err != nil {
		return out, &WaitError{Err: err}
	}
	out.Running = true
	return out, nil
}

func (o *Options) defaults() {
	if o.Print == nil {
		o.Print = func(string) {}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Hostf == nil {
		o.Hostf = func(string, string, ...any) {}
	}
	if o.Deployed == nil {
		o.Deployed = func(*stack.DeployResult) {}
	}
	if o.Timeout <= 0 {
		o.Timeout = stack.DefaultWaitTimeout
	}
}
