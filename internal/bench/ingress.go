package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/config"
	"skep/internal/host"
	skimage "skep/internal/image"
	"skep/internal/ingress"
	skswarm "skep/internal/swarm"
)

// WhoamiRecipe is the lab's test backend: this skep binary serving
// `skep lab whoami` (no registry offers a whoami image here).
func WhoamiRecipe() skimage.Recipe {
	return skimage.Self{Name: "whoami", Args: []string{"lab", "whoami"}}
}

// WhoamiPort is the port the backend listens on inside its container.
const WhoamiPort = 8080

// ShipWhoami builds the backend image on the local engine and loads it into
// every host of c that lacks it, returning its tag.
func ShipWhoami(ctx context.Context, local *client.Client, c *config.Cluster, logf func(string, ...any)) (string, error) {
	tag, err := WhoamiRecipe().Build(ctx, local, logf)
	if err != nil {
		return "", err
	}
	hosts, err := host.DialAll(ctx, host.Targets(c, false, 10*time.Second))
	defer func() {
		for _, h := range hosts {
			h.Close()
		}
	}()
	if err != nil {
		return "", err
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(hosts))
	for name, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			remote, err := h.Docker(ctx)
			if err == nil {
				_, err = skimage.Ship(ctx, local, remote, tag)
			}
			if err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return "", err
	}
	return tag, nil
}

// WhoamiSpec is a backend service routed by Traefik for hostName: the
// labels a cookbook user writes, on the public network, endpoint mode
// dnsrr. publish > 0 also publishes its port in host mode, so the backend
// can be reached without Traefik (the benchmark's baseline).
func WhoamiSpec(name, image, hostName string, replicas uint64, publish int, constraints ...string) swarm.ServiceSpec {
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name, Labels: map[string]string{
			"traefik.enable":                                              "true",
			"traefik.http.routers." + name + ".rule":                      "Host(`" + hostName + "`)",
			"traefik.http.services." + name + ".loadbalancer.server.port": strconv.Itoa(WhoamiPort),
		}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: image, Args: []string{"--port", strconv.Itoa(WhoamiPort)}},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: ingress.PublicNetwork}},
			Placement:     &swarm.Placement{Constraints: constraints},
		},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
	if publish > 0 {
		spec.EndpointSpec.Ports = []swarm.PortConfig{{Protocol: swarm.PortConfigProtocolTCP, TargetPort: WhoamiPort,
			PublishedPort: uint32(publish), PublishMode: swarm.PortConfigPublishModeHost}}
	}
	return spec
}

// IngressOptions configures the ingress benchmark.
type IngressOptions struct {
	Lab      string
	Clients  int           // concurrent clients of the load
	Duration time.Duration // of each load run
	Logf     func(string, ...any)
}

// Ingress measures, on a lab of its own: the time from creating a labelled
// service to its first HTTPS 200 through Traefik (baseline: its first 200
// straight from the container's published port), and requests/s and p99
// latency of a bounded load through Traefik vs straight to the backend.
func Ingress(ctx context.Context, local *client.Client, o IngressOptions) ([]Row, error) {
	// Traefik is built once, then cached.
	l, c, release, err := ownLab(ctx, local, o.Lab, o.Logf, nil)
	defer release()
	if err != nil {
		return nil, err
	}
	tag, err := ShipWhoami(ctx, local, c, o.Logf)
	if err != nil {
		return nil, err
	}
	first := c.Hosts[0]
	h, err := host.Dial(ctx, host.Targets(c, false, 10*time.Second)[0])
	if err != nil {
		return nil, err
	}
	defer h.Close()
	mgr, err := h.Docker(ctx)
	if err != nil {
		return nil, err
	}
	st, err := skswarm.Inspect(ctx, mgr)
	if err != nil {
		return nil, err
	}

	// The backend runs on node1 and publishes its port there, so the same
	// container answers both through Traefik and directly.
	const direct = 18080
	name := "bench-whoami"
	hostName := "whoami." + o.Lab + ".lab"
	entry := first.Address
	if l.VIP != "" && reachable(ctx, net.JoinHostPort(l.VIP, "443")) {
		entry = l.VIP
	}
	viaTraefik := newClient(net.JoinHostPort(entry, "443"), hostName, o.Clients, nil)
	straight := newClient(net.JoinHostPort(first.Address, strconv.Itoa(direct)), hostName, o.Clients, nil)
	traefikURL, directURL := "https://"+hostName+"/", "http://"+hostName+"/"

	o.Logf("creating service %s (image %s) routed for %s", name, tag, hostName)
	start := time.Now()
	if _, err := mgr.ServiceCreate(ctx, WhoamiSpec(name, tag, hostName, 1, direct, "node.id=="+st.NodeID), swarm.ServiceCreateOptions{}); err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	var toDirect, toTraefik time.Duration
	var derr, terr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); toDirect, derr = firstOK(ctx, straight, directURL, start, 2*time.Minute) }()
	go func() { defer wg.Done(); toTraefik, terr = firstOK(ctx, viaTraefik, traefikURL, start, 2*time.Minute) }()
	wg.Wait()
	if derr != nil {
		return nil, fmt.Errorf("backend straight: %w", derr)
	}
	if terr != nil {
		return nil, fmt.Errorf("through Traefik: %w", terr)
	}

	o.Logf("load: %d clients for %s through Traefik (%s), then straight to the backend", o.Clients, o.Duration, entry)
	lt, err := load(ctx, viaTraefik, traefikURL, o.Clients, o.Duration)
	if err != nil {
		return nil, fmt.Errorf("load through Traefik: %w", err)
	}
	ld, err := load(ctx, straight, directURL, o.Clients, o.Duration)
	if err != nil {
		return nil, fmt.Errorf("load straight: %w", err)
	}
	via := "node1"
	if entry != first.Address {
		via = "the VIP"
	}
	return []Row{
		{"Traefik version", ingress.TraefikVersion, ""},
		{"service created -> first HTTPS 200 via Traefik (" + via + ")", Secs(toTraefik),
			fmt.Sprintf("straight to the container: %s, ratio %s", Secs(toDirect), Ratio(toTraefik, toDirect))},
		{fmt.Sprintf("requests/s, %d clients %s, HTTPS via Traefik", o.Clients, o.Duration), fmt.Sprintf("%.0f", lt.rate),
			fmt.Sprintf("straight HTTP to the container: %.0f, ratio %.3f", ld.rate, lt.rate/ld.rate)},
		{"p99 latency via Traefik", ms(lt.p99), fmt.Sprintf("straight: %s, ratio %s", ms(ld.p99), Ratio(lt.p99, ld.p99))},
		{"p50 latency via Traefik", ms(lt.p50), fmt.Sprintf("straight: %s, ratio %s", ms(ld.p50), Ratio(lt.p50, ld.p50))},
		{"failed requests via Traefik / straight", fmt.Sprintf("%d / %d", lt.failed, ld.failed), ""},
	}, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// reachable tells whether addr accepts a TCP connection within a second.
func reachable(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// newClient sends every request to addr whatever the URL's host, so the
// URL can carry the routed name (Host header and SNI) with no DNS. With
// roots, the certificate is checked against them (the lab's CA) for
// serverName, as a browser would; without, it is not checked, where only
// timing is measured.
func newClient(addr, serverName string, conns int, roots *x509.CertPool) *http.Client {
	d := &net.Dialer{Timeout: 2 * time.Second}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) },
			TLSClientConfig:     &tls.Config{ServerName: serverName, RootCAs: roots, InsecureSkipVerify: roots == nil},
			MaxIdleConnsPerHost: conns,
			Proxy:               nil,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// firstOK polls url every 50ms until it answers 200; the time counts from start.
func firstOK(ctx context.Context, c *http.Client, url string, start time.Time, within time.Duration) (time.Duration, error) {
	last := "no answer"
	for time.Since(start) < within {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("%s: no 200 within %s (last: %s)", url, within, last)
}

type loadResult struct {
	rate     float64
	p50, p99 time.Duration
	failed   int
}

// load runs clients concurrent request loops for d and measures them.
func load(ctx context.Context, c *http.Client, url string, clients int, d time.Duration) (loadResult, error) {
	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(end) && ctx.Err() == nil {
				t := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			failed += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		return loadResult{}, fmt.Errorf("no request succeeded (%d failed)", failed)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return loadResult{rate: float64(len(lat)) / d.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], failed: failed}, nil
}
