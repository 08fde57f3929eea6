package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code, rec.Body.String()
}

func TestCountsAndSurvivesRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "count")
	h := handler(&store{path: file}, "node1")
	for i, want := range []string{"count 1 from node1\n", "count 2 from node1\n"} {
		if code, body := get(t, h, "GET", "/"); code != 200 || body != want {
			t.Fatalf("request %d: %d %q, want 200 %q", i+1, code, body, want)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "2\n" {
		t.Fatalf("file holds %q (%v), want \"2\\n\"", b, err)
	}
	// A new task (another node, same volume) goes on from the file.
	h2 := handler(&store{path: file}, "node2")
	if code, body := get(t, h2, "GET", "/"); code != 200 || body != "count 3 from node2\n" {
		t.Fatalf("after restart: %d %q", code, body)
	}
	// No temporary file is left beside the count.
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the count: %v", len(entries), entries)
	}
}

func TestConcurrentIncrementsAreNotLost(t *testing.T) {
	s := &store{path: filepath.Join(t.TempDir(), "count")}
	h := handler(s, "node1")
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			get(t, h, "GET", "/")
		}()
	}
	wg.Wait()
	if n, err := s.read(); err != nil || n != 20 {
		t.Fatalf("count %d (%v), want 20", n, err)
	}
}

func TestOnlyRootCounts(t *testing.T) {
	s := &store{path: filepath.Join(t.TempDir(), "count")}
	h := handler(s, "node1")
	if code, _ := get(t, h, "GET", "/favicon.ico"); code != 404 {
		t.Errorf("GET /favicon.ico: %d, want 404", code)
	}
	if code, _ := get(t, h, "POST", "/"); code != 405 {
		t.Errorf("POST /: %d, want 405", code)
	}
	if code, body := get(t, h, "GET", "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /healthz: %d %q", code, body)
	}
	if n, _ := s.read(); n != 0 {
		t.Fatalf("count %d after requests that must not count", n)
	}
}

func TestGarbageIsNotReset(t *testing.T) {
	file := filepath.Join(t.TempDir(), "count")
	os.WriteFile(file, []byte("twelve\n"), 0o644)
	code, body := get(t, handler(&store{path: file}, "node1"), "GET", "/")
	if code != 500 || !strings.Contains(body, "does not hold a count") {
		t.Fatalf("%d %q, want 500 naming the bad file", code, body)
	}
	if b, _ := os.ReadFile(file); string(b) != "twelve\n" {
		t.Fatalf("file changed to %q", b)
	}
}

func TestUnsavedIncrementFails(t *testing.T) {
	// The count's directory is gone (the volume is not there): the
	// increment cannot be saved and must not be acknowledged.
	s := &store{path: filepath.Join(t.TempDir(), "gone", "count")}
	if code, _ := get(t, handler(s, "node1"), "GET", "/"); code != 500 {
		t.Fatalf("%d, want 500", code)
	}
	if err := s.write(1); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestHealthzFailsWithoutVolume(t *testing.T) {
	h := handler(&store{path: filepath.Join(t.TempDir(), "gone", "count")}, "node1")
	if code, _ := get(t, h, "GET", "/healthz"); code != 503 {
		t.Fatalf("%d, want 503 when the data directory is missing", code)
	}
}

// TestServeAndProbe runs the real server on loopback and the -check probe
// against it, then stops it as swarm does.
func TestServeAndProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := probe(addr, time.Second); err == nil {
		t.Fatal("probe succeeded with no server")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &store{path: filepath.Join(t.TempDir(), "data", "count")}
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, addr, s, "node1") }()
	deadline := time.Now().Add(5 * time.Second)
	for probe(addr, time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("server did not answer /healthz")
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "count 1 from node1\n" {
		t.Fatalf("GET /: %q", body)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after its context ended")
	}
}

func TestProbeReportsUnhealthy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "data directory: gone", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	err := probe(strings.TrimPrefix(srv.URL, "http://"), time.Second)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("probe: %v, want the 503", err)
	}
}

// A request whose client left while it waited (a storage stall) takes no
// count: the next answered count follows the last one answered.
func TestGoneClientTakesNoCount(t *testing.T) {
	file := filepath.Join(t.TempDir(), "count")
	h := handler(&store{path: file}, "node1")
	get(t, h, "GET", "/")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
	if rec.Body.Len() != 0 {
		t.Fatalf("a gone client was answered %q", rec.Body.String())
	}
	if code, body := get(t, h, "GET", "/"); code != 200 || body != "count 2 from node1\n" {
		t.Fatalf("after a gone client: %d %q, want count 2", code, body)
	}
}
