package health

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeEngine serves handler on a unix socket, as dockerd does; it
// returns the socket's path and counts the paths asked.
func fakeEngine(t *testing.T, handler http.HandlerFunc) (string, func() []string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "eng") // short: a socket path has ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		handler(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return sock, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
}

func probeOnce(t *testing.T, h http.Handler, method, path string) (int, Answer, time.Duration) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(method, srv.URL+path, nil)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a Answer
	json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a, took
}

// The probe says OK with its node's name only after its engine answered
// /_ping, and asks the engine nothing else.
func TestProbeHandlerEngineAnswers(t *testing.T) {
	sock, paths := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) })
	h := Handler("node2", "id2", EnginePing(sock))
	code, a, _ := probeOnce(t, h, http.MethodGet, PingPath)
	if code != 200 || a != (Answer{OK: true, Hostname: "node2", NodeID: "id2"}) {
		t.Errorf("%d %+v", code, a)
	}
	if p := paths(); len(p) != 1 || p[0] != "GET /_ping" {
		t.Errorf("the engine was asked %v", p)
	}
	if code, _, _ := probeOnce(t, h, http.MethodGet, "/containers/json"); code != 404 {
		t.Errorf("another path: %d", code)
	}
	if code, _, _ := probeOnce(t, h, http.MethodPost, PingPath); code != 405 {
		t.Errorf("POST: %d", code)
	}
	if p := paths(); len(p) != 1 {
		t.Errorf("the engine was asked %v", p)
	}
}

// An engine that hangs, fails or is gone makes the probe say 503, within
// EngineTimeout, naming its node and why.
func TestProbeHandlerEngineSilent(t *testing.T) {
	var hung atomic.Bool
	hung.Store(true)
	release := make(chan struct{})
	sock, _ := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) {
		if hung.Load() {
			<-release
		}
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	defer close(release)
	h := Handler("node2", "id2", EnginePing(sock))
	code, a, took := probeOnce(t, h, http.MethodGet, PingPath)
	if code != 503 || a.OK || a.Hostname != "node2" || !strings.Contains(a.Error, "no answer from the engine in 500ms") {
		t.Errorf("hung engine: %d %+v", code, a)
	}
	if took > EngineTimeout+300*time.Millisecond {
		t.Errorf("a hung engine held the probe %s", took)
	}

	hung.Store(false)
	if code, a, _ := probeOnce(t, h, http.MethodGet, PingPath); code != 503 || !strings.Contains(a.Error, "engine answered 500") {
		t.Errorf("failing engine: %d %+v", code, a)
	}

	gone := Handler("node2", "id2", EnginePing(filepath.Join(t.TempDir(), "none.sock")))
	if code, a, _ := probeOnce(t, gone, http.MethodGet, PingPath); code != 503 || a.OK || !strings.Contains(a.Error, "engine:") {
		t.Errorf("no engine: %d %+v", code, a)
	}
}

// Ask reads a probe's answer, a 503 as an answer that is not OK; a
// server that names no node is no answer.
func TestAsk(t *testing.T) {
	for _, tc := range []struct {
		h      http.HandlerFunc
		ok     bool
		errSub string
	}{
		{func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(okAt("node3", "id3")) }, true, ""},
		{func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(503)
			json.NewEncoder(w).Encode(Answer{OK: true, Hostname: "node3", Error: "x"})
		}, false, ""},
		{func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) }, false, "without a node's name"},
	} {
		srv := httptest.NewServer(tc.h)
		// Ask always dials ProbePort: this client dials the test server.
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, n, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, n, srv.Listener.Addr().String())
		}}}
		a, err := Ask(context.Background(), c, "10.0.9.3")
		srv.Close()
		if tc.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Errorf("want error %q, got %v %+v", tc.errSub, err, a)
			}
			continue
		}
		if err != nil || a.OK != tc.ok || a.Hostname != "node3" {
			t.Errorf("answer %+v %v, want ok %v", a, err, tc.ok)
		}
	}
}
