package vip

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"skep/internal/config"
	"skep/internal/ingress"
)

// Check is what the VIP agent asks on each host, over and over: whether
// the local service the VIP exists for answers.
type Check struct {
	Kind   string // "http": GET Target; "docker": the engine's /_ping on the socket Target
	Target string
}

// DockerSocket is the engine's socket, mounted into skep-keepalived (read
// only) when the engine is what is tracked.
const DockerSocket = "/var/run/docker.sock"

// The checks skep uses.
var (
	TraefikPing  = Check{Kind: "http", Target: ingress.PingURL}
	DockerEngine = Check{Kind: "docker", Target: DockerSocket}
)

// TrackCheck is the one place that decides what the VIP tracks: the local
// Traefik's ping wherever the cluster has ingress (the VIP exists to reach
// it), else the local Docker engine.
func TrackCheck(c *config.Cluster) Check {
	if c.Ingress != nil {
		return TraefikPing
	}
	return DockerEngine
}

// Args are the agent's arguments for the check (the container's command;
// the image's entrypoint is `skep vip-agent`).
func (c Check) Args() []string {
	return []string{"--check", c.Kind, "--target", c.Target}
}

// ParseCheck is Args read back, for the agent.
func ParseCheck(kind, target string) (Check, error) {
	switch {
	case kind != TraefikPing.Kind && kind != DockerEngine.Kind:
		return Check{}, fmt.Errorf("check %q: want %q or %q", kind, TraefikPing.Kind, DockerEngine.Kind)
	case target == "":
		return Check{}, fmt.Errorf("check %s needs a target", kind)
	}
	return Check{Kind: kind, Target: target}, nil
}

// Check timing. The agent asks every CheckInterval over one kept-alive
// connection (no process, no new connection per check). A refused or
// reset connection or a bad answer comes back at once, so a killed
// Traefik is seen after CheckFall failures, about half a second, and the
// VIP moves well within 2 s. A slow answer is waited for up to
// CheckTimeout: a Traefik that is alive but starved of CPU answers late,
// not never, and must not move the VIP (keepalived's fork-per-check
// script with its 0.9 s limit did, twice per blip). Only CheckFall
// unanswered checks in a row (a frozen Traefik, 6 s) count as down.
// CheckRise passes in a row bring it back, so a flapping service does not
// pull the VIP to and fro.
const (
	CheckInterval = 250 * time.Millisecond
	CheckTimeout  = 2 * time.Second
	CheckFall     = 3
	CheckRise     = 3
)

// prober asks one check over a client of its own, reusing the connection.
type prober struct {
	check  Check
	client *http.Client
	url    string
}

func newProber(c Check) *prober {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	url := c.Target
	if c.Kind == DockerEngine.Kind {
		sock := c.Target
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		url = "http://engine/_ping"
	}
	return &prober{check: c, client: &http.Client{Transport: tr, Timeout: CheckTimeout}, url: url}
}

// probe returns nil when the service answered 200 within CheckTimeout.
func (p *prober) probe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Read to the end so the connection is reused for the next check.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", p.url, resp.Status)
	}
	return nil
}

// health is the check's state with fall and rise: it turns down after
// CheckFall failures in a row and up again after CheckRise passes in a row.
type health struct {
	up           bool
	fails, rises int
}

// observe records one result and says whether the state changed.
func (h *health) observe(pass bool) bool {
	if pass {
		h.fails = 0
		if h.up {
			return false
		}
		h.rises++
		if h.rises >= CheckRise {
			h.up, h.rises = true, 0
			return true
		}
		return false
	}
	h.rises = 0
	if !h.up {
		return false
	}
	h.fails++
	if h.fails >= CheckFall {
		h.up, h.fails = false, 0
		return true
	}
	return false
}
