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
	"skep/internal/vip"
)

// Defaults of Options. A frozen host completes TCP but never SSH, so it
// costs the whole Timeout: that is what a user waits at worst. A healthy
// host answers everything in about a second (the GlusterFS questions are
// the slow part), so 3 s leaves room for a busy one.
const (
	DefaultDialTimeout = 2 * time.Second
	DefaultCallTimeout = 2 * time.Second
	DefaultTimeout     = 3 * time.Second
)

// straggleGrace is how long Collect waits past Options.Timeout for a host
// whose calls ignore cancellation before it reports the host as silent.
const straggleGrace = 300 * time.Millisecond

// replyMargin is how long before Timeout the GlusterFS questions must end
// on the host, so their answers get back before Collect stops listening
// (the docker exec ending and the output's way back take a few hundred ms
// on a busy host).
const replyMargin = 600 * time.Millisecond

// Options tune Collect; zero values take the defaults.
type Options struct {
	// DialTimeout bounds the TCP connect and SSH handshake per host
	// (a frozen host accepts TCP but never answers SSH). Default 2s.
	DialTimeout time.Duration
	// CallTimeout bounds each Docker API call. Default 2s.
	CallTimeout time.Duration
	// Timeout bounds the whole collection. Default 3s.
	Timeout time.Duration
	// AcceptNew trusts unknown host keys on first use (and records them).
	// Off by default: status only reads, and refuses hosts it does not know.
	AcceptNew bool
	// Sections are the components to judge besides the swarm, in screen
	// order: apply.StatusSections gives the cluster's, from the same
	// component list apply runs. Those the file does not declare are
	// skipped. skep status adds StacksSection, which every cluster has.
	Sections []Section
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
// problem or an unknown in the report) and returns within about
// Options.Timeout however dead or frozen the hosts are. Every connection
// is closed before it returns or, for a host still stuck in a call, as
// soon as that call gives up.
func Collect(ctx context.Context, c *config.Cluster, opts Options) *Report {
	return Build(Gather(ctx, c, opts))
}

// Gather collects the facts Build needs, one goroutine per host. Each
// host gets one SSH script (storage, VIP and controller questions, with
// at most one docker exec) and a few Docker API calls; the cluster-wide
// GlusterFS questions go to one brick host only (clusterwide.go).
func Gather(ctx context.Context, c *config.Cluster, opts Options) Facts {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	targets := host.Targets(c, opts.AcceptNew, opts.DialTimeout)
	cw := newClusterWide(c)
	probes := make([]*probe, len(targets))
	done := make(chan struct{}, len(targets))
	for i := range targets {
		p := newProbe(c, c.Hosts[i], opts.CallTimeout)
		p.stacks = asksStacks(opts.Sections) && c.Hosts[i].Role != config.RoleWorker
		probes[i] = p
		cw.add(p)
	}
	for i, t := range targets {
		p := probes[i]
		go func() {
			defer func() { done <- struct{}{} }()
			p.run(ctx, t, cw)
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

	f := Facts{Cluster: c.Name, File: c, Sections: opts.Sections}
	for _, p := range probes {
		f.Hosts = append(f.Hosts, p.snapshot(opts.Timeout))
	}
	return f
}

// Stages of a probe's engine questions, so a host that is still busy when
// time runs out is reported by where it got stuck.
const (
	stageDial = iota
	stageEngine
	stageNodes
	stageDone
)

// probe gathers one host's facts. Its goroutines may outlive Gather (a
// call that ignores cancellation); the mutex keeps the snapshot
// consistent.
type probe struct {
	cfg         config.Host
	callTimeout time.Duration
	// cluster is what the host's one script is written from; brick tells
	// a brick host (asked about its brick process, and maybe GlusterFS).
	cluster *config.Cluster
	brick   bool
	// ingress pings Traefik on a manager; vip is the VIP a keepalived
	// host is asked about ("" for others).
	ingress bool
	vip     string

	mu    sync.Mutex
	stage int
	facts HostFacts
	host  *host.Host // once connected
	// out is the script's output as it streams in; wide is the output of
	// GlusterFS's questions when this host was asked them after another
	// brick host failed to answer (clusterwide.go).
	out, wide *stream
	// keepalived is skep-keepalived's state by the Docker API.
	keepalived    *bool
	keepalivedErr error
	// system: a manager, asked about the mount of skep's own volume.
	system bool
	// stacks: a manager, asked for the stacks' services.
	stacks bool
	// probes: a manager, asked for its view of the node probes.
	probes bool
}

func newProbe(c *config.Cluster, h config.Host, callTimeout time.Duration) *probe {
	p := &probe{
		cfg: h, callTimeout: callTimeout, cluster: c,
		facts:   HostFacts{Name: h.Name, Address: h.Address, Role: h.Role},
		ingress: c.Ingress != nil && h.Role != config.RoleWorker,
		vip:     vipQuestion(c, h),
		system:  c.Storage != nil && h.Role != config.RoleWorker,
		probes:  h.Role != config.RoleWorker,
	}
	for _, b := range c.BrickHosts() {
		p.brick = p.brick || (c.Storage != nil && b.Name == h.Name)
	}
	return p
}

func (p *probe) update(f func(*HostFacts, *int)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.facts, &p.stage)
}

func (p *probe) run(ctx context.Context, t host.Target, cw *clusterWide) {
	h, err := host.Dial(ctx, t)
	if err != nil {
		p.update(func(f *HostFacts, s *int) { f.DialErr, *s = err, stageDone })
		cw.unreachable(p)
		return
	}
	defer h.Close()
	p.mu.Lock()
	p.host = h
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() { p.askScript(ctx, h, cw) })
	if p.ingress {
		wg.Go(func() {
			in := pingTraefik(ctx, h)
			p.update(func(f *HostFacts, _ *int) { f.Ingress = in })
		})
	}
	p.askEngine(ctx, h)
	wg.Wait()
	// Another brick host's fallback may still need this connection.
	cw.wait(ctx)
}

// askScript runs the host's one script, streaming its output into p.out.
// The first brick host to get here asks GlusterFS (its local questions and
// the cluster-wide ones) too.
func (p *probe) askScript(ctx context.Context, h *host.Host, cw *clusterWide) {
	asker := cw.claim(p)
	if asker {
		defer cw.finish(ctx, p)
	}
	// Only the asker runs GlusterFS's CLI (one docker exec); the others
	// tell their own facts: glusterd's state, the brick process, the
	// mount (a manager's of skep's own volume too). skep's own volume's
	// bricks are judged by each brick host's brick process, not by a
	// third transaction: each costs the asker about half a second. A
	// docker exec costs more than all the rest of a host's answer, and
	// this machine's cores are shared by every node.
	q := storage.Questions{Brick: p.brick, Gluster: asker, VolumeStatus: asker, Heal: asker,
		SystemMount: p.system, StatusOnly: true, Budget: budget(ctx)}
	script := hostScript(p.cluster, p.cfg, q, p.vip != "", p.certificates(), p.probes)
	if script == "" {
		return
	}
	s := &stream{}
	p.mu.Lock()
	p.out = s
	p.mu.Unlock()
	_, err := h.Sudo(ctx, script, host.WithStdout(s))
	s.finish(err)
}

// askClusterWide asks this host GlusterFS's questions, after the host
// that was to answer them did not; see clusterWide.finish.
func (p *probe) askClusterWide(ctx context.Context) {
	p.mu.Lock()
	h := p.host
	p.mu.Unlock()
	if h == nil || p.cluster.Storage == nil {
		return
	}
	s := &stream{}
	p.mu.Lock()
	p.wide = s
	p.mu.Unlock()
	q := storage.Questions{Brick: true, Gluster: true, VolumeStatus: true, Heal: true, StatusOnly: true, Budget: budget(ctx)}
	_, err := h.Sudo(ctx, storage.FactsScript(p.cluster, p.cfg, q), host.WithStdout(s))
	s.finish(err)
}

// budget is the time the GlusterFS questions may take on a host.
func budget(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(time.Until(d)-replyMargin, time.Millisecond)
}

// certificates tells whether this host reads the controller's status.
func (p *probe) certificates() bool {
	return p.cluster.ACME != nil && p.cfg.Role != config.RoleWorker
}

// askEngine asks the Docker engine for the host's swarm state, the node
// list (managers) and keepalived's state (VIP hosts).
func (p *probe) askEngine(ctx context.Context, h *host.Host) {
	p.update(func(_ *HostFacts, s *int) { *s = stageEngine })
	call := func(fn func(context.Context) error) error {
		cctx, cancel := context.WithTimeout(ctx, p.callTimeout)
		defer cancel()
		return fn(cctx)
	}

	var st swarm.State
	err := call(func(cctx context.Context) error {
		cli, err := h.Docker(cctx)
		if err != nil {
			return err
		}
		st, err = swarm.Inspect(cctx, cli)
		return err
	})
	if err != nil {
		p.update(func(f *HostFacts, s *int) { f.EngineErr, *s = hostErr(p.cfg.Name, err), stageDone })
		return
	}
	p.update(func(f *HostFacts, s *int) { f.Swarm, *s = &st, stageNodes })

	if st.InSwarm() && st.Manager {
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
		if err != nil {
			p.update(func(f *HostFacts, _ *int) { f.NodesErr = fmt.Errorf("node list: %w", err) })
		}
	}
	p.update(func(_ *HostFacts, s *int) { *s = stageDone })

	if p.vip != "" {
		var running bool
		err := call(func(cctx context.Context) error {
			cli, err := h.Docker(cctx)
			if err != nil {
				return err
			}
			r, err := vip.Inspect(cctx, cli)
			running = r.Running
			return err
		})
		p.mu.Lock()
		p.keepalived, p.keepalivedErr = &running, err
		if err != nil {
			p.keepalived = nil
		}
		p.mu.Unlock()
	}
	// Last: the answers above must not wait behind it.
	if p.stacks && st.InSwarm() && st.Manager {
		p.askStacks(ctx, h, st.Clock)
	}
}

// snapshot returns the facts so far; a host still busy is reported by the
// stage it is stuck in, and a script cut off by what came back whole.
func (p *probe) snapshot(timeout time.Duration) HostFacts {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.facts
	silent := &storage.NoAnswer{After: timeout.String()}
	switch p.stage {
	case stageDial:
		f.DialErr = fmt.Errorf("no answer within %s", timeout)
	case stageEngine:
		f.EngineErr = fmt.Errorf("%s: Docker engine: %w", f.Name, silent)
	case stageNodes:
		if f.Nodes == nil {
			f.NodesErr = fmt.Errorf("node list: %w", silent)
		}
	}
	if f.DialErr != nil {
		return f
	}
	if p.ingress && f.Ingress == nil {
		f.Ingress = &HostIngress{PingErr: fmt.Errorf("ping: %w", silent)}
	}
	script := p.scriptAnswer(silent)
	if p.cluster.Storage != nil {
		f.Storage, f.StorageErr = script.storage, script.err
		if f.Storage != nil && p.wide != nil {
			mergeClusterWide(f.Storage, p.wide.facts())
		}
	}
	if p.vip != "" {
		f.VIP = p.vipAnswer(script, silent)
	}
	if p.certificates() {
		f.Certificates = script.certificates(controllerStatusPath(p.cluster))
	}
	if p.probes {
		f.Probes = script.probes()
	}
	if p.stacks && f.Swarm != nil && f.Swarm.InSwarm() && f.Swarm.Manager && f.Stacks == nil {
		f.Stacks = &HostStacks{Err: fmt.Errorf("service list: %w", silent)}
	}
	return f
}

// vipAnswer joins the script's word on the host's addresses and the
// engine's on keepalived.
func (p *probe) vipAnswer(script scriptAnswer, silent error) *HostVIP {
	v := &HostVIP{}
	addrs, ok := script.sections["addrs"]
	switch {
	case !ok && script.err != nil:
		v.Err = fmt.Errorf("addresses: %w", script.err)
	case !ok:
		v.Err = fmt.Errorf("addresses: %w", silent)
	default:
		v.Holds = vip.HeldIn(addrs, p.vip)
	}
	switch {
	case v.Err != nil:
	case p.keepalivedErr != nil:
		v.Err = p.keepalivedErr
	case p.keepalived == nil:
		v.Err = fmt.Errorf("keepalived: %w", silent)
	default:
		v.Running = *p.keepalived
	}
	return v
}

// hostErr makes sure err starts with the host's name.
func hostErr(name string, err error) error {
	if msg := err.Error(); strings.HasPrefix(msg, name+": ") || strings.HasPrefix(msg, name+" (") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
