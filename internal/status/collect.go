package status

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/storage"
	"skep/internal/swarm"
)

// Defaults of Options.
const (
	DefaultDialTimeout = 3 * time.Second
	DefaultCallTimeout = 3 * time.Second
	DefaultTimeout     = 8 * time.Second
)

// straggleGrace is how long Collect waits past Options.Timeout for a host
// whose calls ignore cancellation before it reports the host as silent.
const straggleGrace = 500 * time.Millisecond

// Options tune Collect; zero values take the defaults.
type Options struct {
	// DialTimeout bounds the TCP connect and SSH handshake per host
	// (a frozen host accepts TCP but never answers SSH). Default 3s.
	DialTimeout time.Duration
	// CallTimeout bounds each Docker API call. Default 3s.
	CallTimeout time.Duration
	// Timeout bounds the whole collection. Default 8s.
	Timeout time.Duration
	// AcceptNew trusts unknown host keys on first use (and records them).
	// Off by default: status only reads, and refuses hosts it does not know.
	AcceptNew bool
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// Collect reads every host of c in parallel and reports the cluster's
// health. It changes nothing, never fails (what it cannot learn becomes a
// problem in the report) and returns within about Options.Timeout however
// dead or frozen the hosts are. Every connection is closed before it returns
// or, for a host still stuck in a call, as soon as that call gives up.
func Collect(ctx context.Context, c *config.Cluster, opts Options) *Report {
	return Build(Gather(ctx, c, opts))
}

// Gather collects the facts Build needs, one goroutine per host.
func Gather(ctx context.Context, c *config.Cluster, opts Options) Facts {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	targets := host.Targets(c, opts.AcceptNew, opts.DialTimeout)
	probes := make([]*probe, len(targets))
	done := make(chan struct{}, len(targets))
	for i, t := range targets {
		p := &probe{facts: HostFacts{Name: c.Hosts[i].Name, Address: c.Hosts[i].Address, Role: c.Hosts[i].Role}, ingress: c.Ingress != nil, acme: c.ACME != nil}
		p.storage = storageQuestion(c, c.Hosts[i])
		p.vip = vipQuestion(c, c.Hosts[i])
		probes[i] = p
		go func() {
			defer func() { done <- struct{}{} }()
			p.run(ctx, t, opts.CallTimeout)
		}()
	}

	var grace <-chan time.Time
	ctxDone := ctx.Done()
	for left := len(targets); left > 0; {
		select {
		case <-done:
			left--
		case <-ctxDone:
			ctxDone = nil
			t := time.NewTimer(straggleGrace)
			defer t.Stop()
			grace = t.C
		case <-grace:
			left = 0
		}
	}

	f := Facts{Cluster: c.Name, File: c}
	for _, p := range probes {
		f.Hosts = append(f.Hosts, p.snapshot(opts.Timeout))
	}
	return f
}

// Stages of a probe, so a host that is still busy when time runs out is
// reported by where it got stuck.
const (
	stageDial = iota
	stageEngine
	stageNodes
	stageDone
)

// probe gathers one host's facts. Its goroutine may outlive Gather (a call
// that ignores cancellation); the mutex keeps the snapshot consistent.
type probe struct {
	mu    sync.Mutex
	stage int
	facts HostFacts
	// ingress pings Traefik on a manager.
	ingress bool
	// acme reads the controller's status on a manager.
	acme bool
	// storage asks the host about the shared volume; nil when none is configured.
	storage func(context.Context, *host.Host) (*storage.HostFacts, error)
	// vip is the VIP this host is asked about; "" when it runs no keepalived.
	vip string
}

func (p *probe) update(f func(*HostFacts, *int)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.facts, &p.stage)
}

func (p *probe) run(ctx context.Context, t host.Target, callTimeout time.Duration) {
	h, err := host.Dial(ctx, t)
	if err != nil {
		p.update(func(f *HostFacts, s *int) { f.DialErr, *s = err, stageDone })
		return
	}
	defer h.Close()
	defer p.askStorage(ctx, h)()
	defer p.askVIP(ctx, h, callTimeout)()
	p.update(func(_ *HostFacts, s *int) { *s = stageEngine })

	call := func(fn func(context.Context) error) error {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		return fn(cctx)
	}

	var st swarm.State
	err = call(func(cctx context.Context) error {
		cli, err := h.Docker(cctx)
		if err != nil {
			return err
		}
		st, err = swarm.Inspect(cctx, cli)
		return err
	})
	if err != nil {
		p.update(func(f *HostFacts, s *int) { f.EngineErr, *s = hostErr(t.Name, err), stageDone })
		return
	}
	p.update(func(f *HostFacts, s *int) { f.Swarm, *s = &st, stageNodes })

	if !st.InSwarm() || !st.Manager {
		p.update(func(_ *HostFacts, s *int) { *s = stageDone })
		return
	}
	err = call(func(cctx context.Context) error {
		cli, err := h.Docker(cctx)
		if err != nil {
			return err
		}
		nodes, err := swarm.Nodes(cctx, cli)
		if err == nil {
			p.update(func(f *HostFacts, _ *int) { f.Nodes = nodes })
		}
		return err
	})
	if p.ingress {
		in := pingTraefik(ctx, h)
		p.update(func(f *HostFacts, _ *int) { f.Ingress = in })
	}
	if p.acme {
		cs := readCertificates(ctx, h, callTimeout)
		p.update(func(f *HostFacts, _ *int) { f.Certificates = cs })
	}
	p.update(func(f *HostFacts, s *int) {
		if err != nil {
			f.NodesErr = fmt.Errorf("node list: %w", err)
		}
		*s = stageDone
	})
}

// snapshot returns the facts so far; a host still busy is reported by the
// stage it is stuck in.
func (p *probe) snapshot(timeout time.Duration) HostFacts {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.facts
	silent := fmt.Errorf("no answer within %s", timeout)
	switch p.stage {
	case stageDial:
		f.DialErr = silent
	case stageEngine:
		f.EngineErr = fmt.Errorf("%s: Docker engine: %w", f.Name, silent)
	case stageNodes:
		if f.Nodes == nil {
			f.NodesErr = fmt.Errorf("node list: %w", silent)
		}
	}
	return f
}

// hostErr makes sure err starts with the host's name.
func hostErr(name string, err error) error {
	if msg := err.Error(); strings.HasPrefix(msg, name+": ") || strings.HasPrefix(msg, name+" (") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
