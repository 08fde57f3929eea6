package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Answer is what a probe says, as JSON: its node and whether that node's
// engine answered. A probe whose engine did not answer still says which
// node it is on (HTTP 503), so the prober knows whom the failure is
// about.
type Answer struct {
	OK       bool   `json:"ok"`
	Hostname string `json:"hostname"`
	NodeID   string `json:"node_id,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Pinger asks an engine whether it answers.
type Pinger func(ctx context.Context) error

// EnginePing asks the engine behind the unix socket for /_ping and
// nothing else: the probe's access to the engine is this function.
func EnginePing(socket string) Pinger {
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		// One connection kept: three managers ask every second.
		MaxIdleConns: 1,
	}}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://engine/_ping", nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("no answer from the engine in %s", EngineTimeout)
			}
			return fmt.Errorf("engine: %w", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "OK" {
			return fmt.Errorf("engine answered %d %q", resp.StatusCode, strings.TrimSpace(string(body)))
		}
		return nil
	}
}

// Handler answers GET /_ping for the node named by hostname and id,
// after asking its engine (within EngineTimeout); 200 when the engine
// answered, 503 when not. Every other path is 404.
func Handler(hostname, id string, ping Pinger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(PingPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), EngineTimeout)
		defer cancel()
		a := Answer{OK: true, Hostname: hostname, NodeID: id}
		code := http.StatusOK
		if err := ping(ctx); err != nil {
			a.OK, a.Error, code = false, err.Error(), http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(a)
	})
	return mux
}

// Serve runs the probe on :ProbePort until ctx ends. It identifies its
// node by HostnameEnv and NodeIDEnv, which swarm fills in.
func Serve(ctx context.Context, hostname, id string, logf func(string, ...any)) error {
	if hostname == "" {
		return fmt.Errorf("no node host name: the service must set %s={{.Node.Hostname}}", HostnameEnv)
	}
	srv := &http.Server{
		Addr:    ":" + strconv.Itoa(ProbePort),
		Handler: Handler(hostname, id, EnginePing(dockerSocket)),
		// Only probes reach it, each with a one-second timeout.
		ReadHeaderTimeout: 2 * time.Second,
		WriteTimeout:      5 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    4096,
	}
	l, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", srv.Addr, err)
	}
	logf("answering %s on :%d for node %s (%s), after asking its engine", PingPath, ProbePort, hostname, id)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Ask is one probe of the task at addr (an IP address), bounded by ctx:
// its answer, or why there was none. A 503 with an answer is an answer
// (the node's engine did not answer its probe).
func Ask(ctx context.Context, c *http.Client, addr string) (Answer, error) {
	url := "http://" + net.JoinHostPort(addr, strconv.Itoa(ProbePort)) + PingPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Answer{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	var a Answer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&a); err != nil || a.Hostname == "" {
		return Answer{}, fmt.Errorf("answered %d without a node's name", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		a.OK = false
	}
	return a, nil
}

// NewAskClient is the HTTP client of a prober. Every probe opens a new
// connection, so each tests the whole way to the task (a connection kept
// from before a task restarted proves nothing), at one handshake per node
// per second.
func NewAskClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
}
