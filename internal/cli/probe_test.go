package cli

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The probe must see a leak when there is one: a server handing out a key
// to anyone, and a key file in the directory it reads.
func TestProbeSeesLeaks(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/traefik" && r.Header.Get("Authorization") == "Bearer "+token {
			w.Write([]byte("-----BEGIN EC PRIVATE KEY-----\n"))
			return
		}
		if r.URL.Path == "/" {
			w.Write([]byte("-----BEGIN PRIVATE KEY-----\n")) // the leak
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	p, _ := strconv.Atoi(port)

	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "skep", "certs"), 0o755)
	os.WriteFile(filepath.Join(dir, "skep", "certs", "a.key"), []byte("-----BEGIN EC PRIVATE KEY-----\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "app.txt"), []byte("hello"), 0o644)
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o400)

	r := runProbe(context.Background(), probeOptions{addrs: []string{host}, names: []string{"localhost"},
		ports: []int{p}, readDir: dir, tokenFile: tokenFile, timeout: 2 * time.Second})
	leaks := map[string]bool{}
	codes := map[string]int{}
	for _, a := range r.Attempts {
		if a.PrivateKey {
			leaks[a.Path+" "+a.Auth] = true
		}
		codes[a.Path+" "+a.Auth] = a.Code
	}
	if !leaks["/ none"] || !leaks["/traefik token"] || leaks["/traefik none"] || leaks["/traefik wrong"] {
		t.Fatalf("leaks seen %v in %+v", leaks, r.Attempts)
	}
	if codes["/traefik none"] != 404 || codes["/traefik wrong"] != 404 {
		t.Fatalf("codes %v", codes)
	}
	if len(r.WithKey) != 1 || !strings.HasSuffix(r.WithKey[0], "a.key") || len(r.FilesRead) != 2 {
		t.Fatalf("files: read %v, with key %v", r.FilesRead, r.WithKey)
	}
	if len(r.Resolved["localhost"]) == 0 {
		t.Fatalf("resolved %v", r.Resolved)
	}

	// A closed port is one attempt that says so, not a leak.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r = runProbe(context.Background(), probeOptions{addrs: []string{"127.0.0.1"}, ports: []int{closed}, timeout: time.Second})
	if len(r.Attempts) != 1 || r.Attempts[0].Error == "" || r.Attempts[0].PrivateKey {
		t.Fatalf("closed port: %+v", r.Attempts)
	}
}
