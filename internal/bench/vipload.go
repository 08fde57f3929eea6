package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"skep/internal/apply"
	"skep/internal/status"
	"skep/internal/vip"
)

// vipLoad is a kind of pressure the VIP must hold still under.
type vipLoad string

const (
	// busyLoops: two busy shell loops on every node, CPU only.
	busyLoops vipLoad = "two busy loops per node"
	// statusLoop: skep status asked over and over, as a watching user or
	// a monitoring script would; each call runs a docker exec and
	// GlusterFS questions on every node.
	statusLoop vipLoad = "status in a loop"
)

var loads = []vipLoad{busyLoops, statusLoop}

// Requests under load: loadRequests HTTPS requests through the VIP, one
// every loadEvery, each allowed loadTimeout (a Traefik starved of CPU is
// slow, not gone). 200 at 250 ms take 50 s, inside the busy loops' 60 s.
const (
	loadRequests = 200
	loadEvery    = 250 * time.Millisecond
	loadTimeout  = 3 * time.Second
	busyFor      = 60 * time.Second
)

// steadiness is how the VIP fared under one load: how many times a
// keepalived entered MASTER state, and how many requests failed.
type steadiness struct {
	masters, failed int
}

func (s steadiness) String() string {
	return fmt.Sprintf("%d MASTER transitions, %d/%d failed", s.masters, s.failed, loadRequests)
}

// underLoad puts load on the lab, sends the requests through the VIP
// meanwhile, and counts the failures and the new MASTER states in every
// keepalived's log.
func (b *vipBench) underLoad(ctx context.Context, load vipLoad) (steadiness, error) {
	before, err := b.masterCount(ctx)
	if err != nil {
		return steadiness{}, err
	}
	stop, err := b.startLoad(ctx, load)
	if err != nil {
		return steadiness{}, err
	}
	failed := sendRequests(ctx, b.c.VIP.Address, loadRequests)
	stop()
	after, err := b.masterCount(ctx)
	if err != nil {
		return steadiness{}, err
	}
	return steadiness{masters: after - before, failed: failed}, nil
}

// startLoad starts load and returns what ends it. The busy loops are
// bounded by timeout on the node itself, so none outlives the benchmark
// even if it is interrupted; stopping kills them by the process ids they
// wrote.
func (b *vipBench) startLoad(ctx context.Context, load vipLoad) (func(), error) {
	switch load {
	case busyLoops:
		secs := int(busyFor.Seconds())
		script := fmt.Sprintf(`for i in 1 2; do timeout %d sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $! >> /tmp/skep-bench-busy; done`, secs)
		for _, h := range b.c.Hosts {
			if _, err := b.exec(ctx, h.Name, "rm -f /tmp/skep-bench-busy; "+script); err != nil {
				return nil, err
			}
		}
		return func() {
			for _, h := range b.c.Hosts {
				b.exec(context.WithoutCancel(ctx), h.Name, `kill $(cat /tmp/skep-bench-busy) 2>/dev/null; rm -f /tmp/skep-bench-busy`)
			}
		}, nil
	case statusLoop:
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				status.Collect(ctx, b.c, status.Options{Sections: apply.StatusSections(b.c)})
			}
		}()
		return func() { cancel(); wg.Wait() }, nil
	}
	return nil, fmt.Errorf("unknown load %q", load)
}

// masterCount sums the "Entering MASTER STATE" lines of every node's
// keepalived log.
func (b *vipBench) masterCount(ctx context.Context) (int, error) {
	n := 0
	for _, h := range b.c.VIPHosts() {
		out, err := b.exec(ctx, h.Name, "docker logs "+vip.ContainerName+" 2>&1 | grep -c 'Entering MASTER STATE' || true")
		if err != nil {
			return 0, err
		}
		var c int
		fmt.Sscanf(strings.TrimSpace(out), "%d", &c)
		n += c
	}
	return n, nil
}

// sendRequests sends n HTTPS requests to Traefik through the VIP, one
// every loadEvery, and returns how many got no HTTP answer within
// loadTimeout. Any answer counts (the lab routes no name here, so Traefik
// answers 404): the question is whether the VIP reached a live Traefik.
func sendRequests(ctx context.Context, addr string, n int) int {
	target := net.JoinHostPort(addr, "443")
	d := &net.Dialer{Timeout: loadTimeout}
	c := &http.Client{
		Timeout: loadTimeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", target) },
			// Traefik's default certificate: whether it answers matters,
			// not who it is.
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
			DisableKeepAlives: true, // every request makes its own handshake
			Proxy:             nil,
		},
	}
	failed := 0
	tick := time.NewTicker(loadEvery)
	defer tick.Stop()
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			return failed + n - i
		}
		resp, err := c.Get("https://vip-bench.invalid/")
		if err != nil {
			failed++
		} else {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		<-tick.C
	}
	return failed
}
