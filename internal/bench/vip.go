package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"skep/internal/config"
	"skep/internal/lab"
	"skep/internal/poll"
	"skep/internal/vip"
)

// VIPOptions configures the VIP failover benchmark.
type VIPOptions struct {
	Lab    string // name of the throwaway lab
	Trials int    // per fault and setting
	Logf   func(string, ...any)
}

// Probe timing: a new probe every 20 ms, each waiting up to probeWait for
// the swarm manager's TLS answer through the VIP (see answers).
const (
	probeEvery = 20 * time.Millisecond
	probeWait  = 500 * time.Millisecond
	// outageLimit bounds one measurement: a VIP that has not answered
	// again by then counts as this long (and the trial says so).
	outageLimit = 20 * time.Second
)

// VIP measures, with stock keepalived timing (VRRPv2, adverts every
// second) and with skep's (VRRPv3, the cluster file's interval), in one
// lab: how often the VIP moves and how many requests through it fail under
// load (busy loops, then status in a loop; see underLoad), and how long it
// stops answering when its holder is killed and when it is frozen; it
// prints skep's figures beside stock's. Only the lab's containers are
// contacted.
func VIP(ctx context.Context, cli *client.Client, o VIPOptions) ([]Row, error) {
	if o.Trials < 1 {
		o.Trials = 1
	}
	// The swarm, the VIP and Traefik, which keepalived tracks and which
	// answers the requests counted under load; storage and certificates do
	// not change how the VIP moves, and building them would only slow the
	// benchmark.
	l, c, release, err := ownLab(ctx, cli, o.Lab, o.Logf, func(full *config.Cluster) *config.Cluster {
		return &config.Cluster{Name: full.Name, SSH: full.SSH, Hosts: full.Hosts, Swarm: full.Swarm, VIP: full.VIP, Ingress: full.Ingress, Path: full.Path}
	})
	defer release()
	if err != nil {
		return nil, err
	}
	if c.VIP == nil {
		return nil, fmt.Errorf("lab %s has no vip section", o.Lab)
	}
	b := &vipBench{cli: cli, lab: l, c: c, logf: o.Logf}

	results := map[string][]time.Duration{}
	steady := map[string]steadiness{}
	for _, setting := range []string{"stock", "skep"} {
		if err := b.configure(ctx, setting == "stock"); err != nil {
			return nil, fmt.Errorf("%s settings: %w", setting, err)
		}
		for _, load := range loads {
			st, err := b.underLoad(ctx, load)
			if err != nil {
				return nil, fmt.Errorf("%s settings, %s: %w", setting, load, err)
			}
			o.Logf("%s settings, %s: %s", setting, load, st)
			steady[setting+" "+string(load)] = st
			if err := b.settle(ctx, ""); err != nil {
				return nil, err
			}
		}
		for _, fault := range []lab.Fault{lab.Kill, lab.Pause} {
			for i := 0; i < o.Trials; i++ {
				d, err := b.trial(ctx, fault)
				if err != nil {
					return nil, fmt.Errorf("%s settings, %s trial %d: %w", setting, fault, i+1, err)
				}
				o.Logf("%s settings, holder %s: VIP answered again after %s", setting, faultWord(fault), d.Round(time.Millisecond))
				results[setting+" "+string(fault)] = append(results[setting+" "+string(fault)], d)
			}
		}
	}
	var rows []Row
	for _, load := range loads {
		rows = append(rows, Row{
			What:   fmt.Sprintf("VIP under %s: MASTER transitions, failed of %d HTTPS requests", load, loadRequests),
			Value:  steady["skep "+string(load)].String(),
			Versus: "stock (VRRPv2 advert 1s) " + steady["stock "+string(load)].String() + " (goal: skep 0 and 0)",
		})
	}
	for _, fault := range []lab.Fault{lab.Kill, lab.Pause} {
		stock, skep := results["stock "+string(fault)], results["skep "+string(fault)]
		rows = append(rows, Row{
			What:   fmt.Sprintf("VIP outage, holder %s (median of %d; skep: VRRPv3 advert %s)", faultWord(fault), o.Trials, c.VIP.AdvertInterval),
			Value:  millis(median(skep)) + " " + list(skep),
			Versus: fmt.Sprintf("stock (VRRPv2 advert 1s) %s %s, ratio %s (goal: skep < 1s)", millis(median(stock)), list(stock), Ratio(median(skep), median(stock))),
		})
	}
	return rows, nil
}

func faultWord(f lab.Fault) string {
	if f == lab.Pause {
		return "frozen"
	}
	return "killed"
}

func millis(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func list(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, fmt.Sprintf("%.2f", d.Seconds()))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

type vipBench struct {
	cli  *client.Client
	lab  *lab.Lab
	c    *config.Cluster
	logf func(string, ...any)
}

// configure renders every node's keepalived.conf with skep's or stock
// timing and restarts keepalived everywhere, so each setting starts from
// the same state: node1 holding the VIP.
func (b *vipBench) configure(ctx context.Context, stock bool) error {
	hosts := b.c.VIPHosts()
	placed := map[string]vip.Placement{}
	for _, h := range hosts {
		peer := hosts[0].Address
		if h.Name == peer || h.Address == peer {
			peer = hosts[1%len(hosts)].Address
		}
		out, err := b.exec(ctx, h.Name, vip.FactsScript(peer))
		if err != nil {
			return err
		}
		pl, err := vip.ParseFacts(out).Place(b.c.VIP.Interface, b.c.VIP.Address)
		if err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
		placed[h.Name] = pl
	}
	for i, h := range hosts {
		var peers []string
		for _, o := range hosts {
			if o.Name != h.Name {
				peers = append(peers, placed[o.Name].SourceIP)
			}
		}
		p := vip.Params{Cluster: b.c.Name, Host: h.Name, Interface: placed[h.Name].Interface, SourceIP: placed[h.Name].SourceIP,
			Peers: peers, Address: b.c.VIP.Address, RouterID: b.c.VIP.RouterID, Priority: vip.Priority(i),
			Advert: b.c.VIP.Advert(), Version: 3}
		if stock {
			p = vip.Stock(p)
		}
		conf, err := vip.Render(p)
		if err != nil {
			return err
		}
		// Written through the node's shell: the content is a config, no secret.
		script := fmt.Sprintf("cat > %s.tmp && mv %s.tmp %s && docker stop -t 5 %s >/dev/null", vip.ConfigPath, vip.ConfigPath, vip.ConfigPath, vip.ContainerName)
		if _, err := b.execIn(ctx, h.Name, script, conf); err != nil {
			return err
		}
	}
	// Started in file order, each given time to settle, so node1 (the
	// highest priority) holds the VIP at the start of every setting.
	for _, h := range hosts {
		if _, err := b.exec(ctx, h.Name, "docker start "+vip.ContainerName+" >/dev/null"); err != nil {
			return err
		}
		if err := poll.Sleep(ctx, 1500*time.Millisecond); err != nil {
			return err
		}
	}
	return b.settle(ctx, "")
}

// trial inflicts fault on the holder, measures the outage, restores the
// node and waits until the VIP is settled again.
func (b *vipBench) trial(ctx context.Context, fault lab.Fault) (time.Duration, error) {
	holder, err := b.holder(ctx)
	if err != nil {
		return 0, err
	}
	p := startProber(ctx, b.c.VIP.Address)
	if err := poll.Sleep(ctx, time.Second); err != nil { // a baseline of good answers
		p.stop()
		return 0, err
	}
	faultAt := time.Now()
	if err := b.lab.Inflict(ctx, b.cli, holder, fault); err != nil {
		p.stop()
		return 0, err
	}
	outage, ok := p.waitOutage(faultAt, outageLimit)
	p.stop()
	undo := lab.Start
	if fault == lab.Pause {
		undo = lab.Unpause
	}
	if err := b.lab.Inflict(ctx, b.cli, holder, undo); err != nil {
		return 0, err
	}
	if !ok {
		return outage, fmt.Errorf("the VIP did not answer again within %s after %s", outageLimit, holder+" was "+faultWord(fault))
	}
	return outage, b.settle(ctx, holder)
}

// settle waits until keepalived runs on every node (back is the node just
// restored) and exactly one holds the VIP, then a little longer so the
// restored node has joined the election as a backup.
func (b *vipBench) settle(ctx context.Context, back string) error {
	err := poll.Until(ctx, "the VIP settled (one holder, keepalived on every node)", time.Second, 3*time.Minute, func(ctx context.Context) error {
		holders, running := 0, 0
		for _, h := range b.c.VIPHosts() {
			out, err := b.exec(ctx, h.Name, vip.AddrCommand+"; docker inspect -f 'running={{.State.Running}}' "+vip.ContainerName)
			if err != nil {
				continue
			}
			if vip.HeldIn(out, b.c.VIP.Address) {
				holders++
			}
			if strings.Contains(out, "running=true") {
				running++
			}
		}
		if holders != 1 || running != len(b.c.VIPHosts()) {
			return fmt.Errorf("%d holder(s), keepalived running on %d of %d", holders, running, len(b.c.VIPHosts()))
		}
		return nil
	})
	if err != nil && back != "" {
		return fmt.Errorf("%w (after %s came back)", err, back)
	}
	if err != nil {
		return err
	}
	return poll.Sleep(ctx, 3*time.Second)
}

func (b *vipBench) holder(ctx context.Context) (string, error) {
	var holders []string
	for _, h := range b.c.VIPHosts() {
		out, err := b.exec(ctx, h.Name, vip.AddrCommand)
		if err == nil && vip.HeldIn(out, b.c.VIP.Address) {
			holders = append(holders, h.Name)
		}
	}
	if len(holders) != 1 {
		return "", fmt.Errorf("want exactly one VIP holder, found %v", holders)
	}
	return holders[0], nil
}

func (b *vipBench) exec(ctx context.Context, node, script string) (string, error) {
	return b.execIn(ctx, node, script, nil)
}

func (b *vipBench) execIn(ctx context.Context, node, script string, stdin []byte) (string, error) {
	return execNode(ctx, b.cli, b.lab, node, script, stdin)
}

// execNode runs a script in a lab node container through the local engine
// (the nodes are containers here), feeding stdin.
func execNode(ctx context.Context, cli *client.Client, l *lab.Lab, node, script string, stdin []byte) (string, error) {
	return execNodeEnv(ctx, cli, l, node, script, stdin, nil)
}

// execNodeEnv is execNode with variables (KEY=VALUE) in the script's
// environment: values reach it without being part of its command line.
func execNodeEnv(ctx context.Context, cli *client.Client, l *lab.Lab, node, script string, stdin []byte, env []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	name := lab.ContainerName(l.Name, node)
	ex, err := cli.ContainerExecCreate(ctx, name, container.ExecOptions{Cmd: []string{"sh", "-c", script}, Env: env,
		AttachStdin: stdin != nil, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return "", fmt.Errorf("%s: %w", node, err)
	}
	att, err := cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", fmt.Errorf("%s: %w", node, err)
	}
	defer att.Close()
	if stdin != nil {
		if _, err := att.Conn.Write(stdin); err != nil {
			return "", err
		}
		att.CloseWrite()
	}
	var out, errb bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errb, att.Reader); err != nil {
		return "", fmt.Errorf("%s: %w", node, err)
	}
	res, err := cli.ContainerExecInspect(ctx, ex.ID)
	if err != nil {
		return "", err
	}
	if res.ExitCode != 0 {
		return out.String(), fmt.Errorf("%s: %q exited %d: %s", node, script, res.ExitCode, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// prober starts a probe of the VIP every probeEvery; each records when it
// started and whether the manager answered within probeWait.
type prober struct {
	mu      sync.Mutex
	results []probeResult
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type probeResult struct {
	at time.Time
	ok bool
}

func startProber(ctx context.Context, addr string) *prober {
	ctx, cancel := context.WithCancel(ctx)
	p := &prober{cancel: cancel}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(probeEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case at := <-tick.C:
				p.wg.Add(1)
				go func() {
					defer p.wg.Done()
					ok := answers(ctx, net.JoinHostPort(addr, "2377"))
					p.mu.Lock()
					p.results = append(p.results, probeResult{at, ok})
					p.mu.Unlock()
				}()
			}
		}
	}()
	return p
}

func (p *prober) stop() {
	p.cancel()
	p.wg.Wait()
}

// answers tells whether the swarm manager behind addr (port 2377) starts
// a TLS handshake within probeWait: its certificate arriving is the
// answer. An application's answer, not a TCP handshake, which a frozen
// node's kernel still completes; and not sshd, whose per-source penalties
// would lock this machine out after a few hundred probes.
func answers(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, probeWait)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer raw.Close()
	got := false
	conn := tls.Client(raw, &tls.Config{
		// Only whether the manager answers matters, not who it is; no data
		// is exchanged.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(certs [][]byte, _ [][]*x509.Certificate) error {
			got = len(certs) > 0
			return errors.New("probe done")
		},
	})
	_ = conn.HandshakeContext(ctx)
	return got
}

// waitOutage waits until, after the fault, a probe has failed and a later
// one succeeded, and returns the time from the last good probe before the
// first failure to the first good one after it (both by when they started).
func (p *prober) waitOutage(faultAt time.Time, limit time.Duration) (time.Duration, bool) {
	deadline := faultAt.Add(limit + 2*probeWait)
	for {
		if d, ok := p.outage(faultAt); ok {
			return d, true
		}
		if time.Now().After(deadline) {
			return limit, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// outage looks for the outage among the probes that have surely finished,
// so no earlier probe is still in flight when the first good answer is
// picked.
func (p *prober) outage(faultAt time.Time) (time.Duration, bool) {
	settled := time.Now().Add(-probeWait - 50*time.Millisecond)
	p.mu.Lock()
	var rs []probeResult
	for _, r := range p.results {
		if r.at.Before(settled) {
			rs = append(rs, r)
		}
	}
	p.mu.Unlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].at.Before(rs[j].at) })
	var lastGood time.Time
	failed := false
	for _, r := range rs {
		switch {
		case r.ok && !failed:
			lastGood = r.at
		case !r.ok && !r.at.Before(faultAt.Add(-probeWait)):
			failed = true
		case r.ok && failed:
			return r.at.Sub(lastGood), true
		}
	}
	return 0, false
}
