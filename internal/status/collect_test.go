package status

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"skep/internal/config"
)

// writeKey writes a fresh private key, so Dial gets as far as the network.
func writeKey(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// frozenHost listens on loopback and accepts connections but never says a
// word, like a paused machine whose kernel still completes TCP. It returns
// the port.
func frozenHost(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// TestCollectDeadAndFrozenHosts: a host that refuses connections and one
// that accepts TCP but never speaks SSH are both reported down, quickly.
func TestCollectDeadAndFrozenHosts(t *testing.T) {
	frozen := frozenHost(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	c := &config.Cluster{
		Name: "skep",
		SSH:  config.SSH{User: "root", KeyFile: writeKey(t), KnownHosts: filepath.Join(t.TempDir(), "known_hosts")},
		Hosts: []config.Host{
			{Name: "node1", Address: "127.0.0.1", Port: deadPort, Role: "manager"},
			{Name: "node2", Address: "127.0.0.1", Port: frozen, Role: "manager"},
			{Name: "node3", Address: "127.0.0.1", Port: deadPort, Role: "worker"},
		},
	}
	c.ApplyDefaults()
	start := time.Now()
	r := Collect(context.Background(), c, Options{DialTimeout: 300 * time.Millisecond, Timeout: 2 * time.Second})
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("Collect took %s", d)
	}
	if r.Healthy {
		t.Error("healthy with no host reachable")
	}
	for _, n := range r.Nodes {
		if n.State != StateDown {
			t.Errorf("%s state %q, want down", n.Name, n.State)
		}
	}
	if r.Nodes[2].Role != "worker" {
		t.Errorf("node3 role = %q, want the declared worker", r.Nodes[2].Role)
	}
	for i, want := range []string{
		"node1: not reachable over SSH (",
		"node2: not reachable over SSH (SSH handshake",
		"node3: not reachable over SSH (",
		"swarm: no quorum (0 of 2 managers reachable)",
	} {
		if i >= len(r.Problems) || !strings.HasPrefix(r.Problems[i], want) {
			t.Errorf("problem %d: want prefix %q, got %q", i, want, r.Problems)
		}
	}
	if *r.Swarm != (Swarm{Managers: 2}) {
		t.Errorf("swarm = %+v", *r.Swarm)
	}
}

// TestCollectTimeoutBoundsEverything: the whole collection's Timeout wins
// over a longer DialTimeout.
func TestCollectTimeoutBoundsEverything(t *testing.T) {
	frozen := frozenHost(t)
	c := &config.Cluster{
		Name:  "skep",
		SSH:   config.SSH{User: "root", KeyFile: writeKey(t), KnownHosts: filepath.Join(t.TempDir(), "known_hosts")},
		Hosts: []config.Host{{Name: "node1", Address: "127.0.0.1", Port: frozen, Role: "manager"}},
	}
	c.ApplyDefaults()
	start := time.Now()
	r := Collect(context.Background(), c, Options{DialTimeout: 10 * time.Second, Timeout: 400 * time.Millisecond})
	if d := time.Since(start); d > 400*time.Millisecond+straggleGrace {
		t.Errorf("Collect took %s", d)
	}
	if r.Nodes[0].State != StateDown || r.Healthy {
		t.Errorf("report = %+v", r)
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.DialTimeout != 2*time.Second || o.CallTimeout != 2*time.Second || o.Timeout != 3*time.Second {
		t.Errorf("defaults = %+v", o)
	}
}
