package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec.Code, rec.Body.String()
}

func TestNotes(t *testing.T) {
	f := newFakeRedis(t)
	db := newRedisClient(f.addr(), 2*time.Second)
	defer db.Close()
	h := handler(db, "node2")

	steps := []struct {
		method, path, body string
		code               int
		answer             string
	}{
		{"GET", "/notes/shopping", "", 404, "no note shopping\n"},
		{"PUT", "/notes/shopping", "milk, eggs\n", 200, "saved shopping\n"},
		{"GET", "/notes/shopping", "", 200, "milk, eggs\n"},
		{"PUT", "/notes/shopping", "bread", 200, "saved shopping\n"},
		{"GET", "/notes/shopping", "", 200, "bread"},
		{"DELETE", "/notes/shopping", "", 200, "deleted shopping\n"},
		{"DELETE", "/notes/shopping", "", 404, "no note shopping\n"},
		{"GET", "/notes/shopping", "", 404, "no note shopping\n"},
		{"PUT", "/notes/a%20b", "x", 400, `note name "a b": use 1-64 letters, digits, '.', '_' or '-'` + "\n"},
		{"PUT", "/notes/big", strings.Repeat("x", maxNote+1), 413, "a note holds at most 1024 bytes\n"},
		{"GET", "/notes/big", "", 404, "no note big\n"},
		{"POST", "/notes/x", "x", 405, ""},
		{"GET", "/healthz", "", 200, "ok\n"},
	}
	for _, s := range steps {
		code, answer := call(t, h, s.method, s.path, s.body)
		if code != s.code || (s.answer != "" && answer != s.answer) {
			t.Fatalf("%s %s: %d %q, want %d %q", s.method, s.path, code, answer, s.code, s.answer)
		}
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "notes.skep.lab"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if a := rec.Body.String(); !strings.HasPrefix(a, "notes, served by node2\n") ||
		!strings.Contains(a, "curl https://notes.skep.lab/notes/shopping\n") {
		t.Fatalf("GET /: %q", a)
	}
	// Notes live under their prefix in Redis.
	call(t, h, "PUT", "/notes/todo", "call home")
	f.mu.Lock()
	got := f.data["note:todo"]
	f.mu.Unlock()
	if got != "call home" {
		t.Fatalf("Redis holds %q under note:todo", got)
	}
}

func TestCacheDownIs503(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	db := newRedisClient(addr, time.Second)
	h := handler(db, "node1")
	code, answer := call(t, h, "GET", "/notes/x", "")
	if code != 503 || !strings.Contains(answer, "redis at "+addr) || !strings.Contains(answer, "skep stack ps notes") {
		t.Fatalf("%d %q, want 503 naming the cache and how to look", code, answer)
	}
	// The process itself is still healthy: restarting it would not help.
	if code, _ := call(t, h, "GET", "/healthz", ""); code != 200 {
		t.Fatalf("/healthz %d with the cache down", code)
	}
}

func TestServeAndProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if probe(addr, time.Second) == nil {
		t.Fatal("probe succeeded with no server")
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, addr, handler(newRedisClient("127.0.0.1:1", time.Second), "node1")) }()
	deadline := time.Now().Add(5 * time.Second)
	for probe(addr, time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("server did not answer /healthz")
		}
		time.Sleep(20 * time.Millisecond)
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
