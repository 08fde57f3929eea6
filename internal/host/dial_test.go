package host

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestKeyFileTooOpenRefused(t *testing.T) {
	s := newTestServer(t)
	if err := os.Chmod(s.clientKey, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Dial(context.Background(), s.target("node1", writeKnownHosts(t, s.knownHostsLine())))
	want := "permissions 0644 for " + s.clientKey + " are too open; chmod 600 " + s.clientKey
	if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "node1 ") {
		t.Fatalf("error %v, want it to contain %q", err, want)
	}
}

func TestPassphraseKeySuggestsAgent(t *testing.T) {
	s := newTestServer(t)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "id")
	os.WriteFile(key, pem.EncodeToMemory(block), 0o600)
	tg := s.target("node1", writeKnownHosts(t, s.knownHostsLine()))
	tg.KeyFile = key
	_, err = Dial(context.Background(), tg)
	var authErr *AuthError
	if !errors.As(err, &authErr) || !strings.Contains(err.Error(), "passphrase") || !strings.Contains(err.Error(), "ssh-agent") {
		t.Fatalf("got %T: %v", err, err)
	}
}

func TestAgentAuth(t *testing.T) {
	s := newTestServer(t)
	data, _ := os.ReadFile(s.clientKey)
	raw, err := ssh.ParseRawPrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: raw}); err != nil {
		t.Fatal(err)
	}
	sockDir, _ := os.MkdirTemp("", "agent")
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { agent.ServeAgent(keyring, c); c.Close() }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)

	tg := s.target("node1", writeKnownHosts(t, s.knownHostsLine()))
	tg.KeyFile = ""
	h, err := Dial(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()

	t.Setenv("SSH_AUTH_SOCK", "")
	if _, err := Dial(context.Background(), tg); err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") {
		t.Errorf("without agent: %v", err)
	}
}

func TestWrongKeyIsAuthError(t *testing.T) {
	s := newTestServer(t)
	other, _ := writeClientKey(t, t.TempDir())
	tg := s.target("node1", writeKnownHosts(t, s.knownHostsLine()))
	tg.KeyFile = other
	_, err := Dial(context.Background(), tg)
	var authErr *AuthError
	if !errors.As(err, &authErr) || !strings.HasPrefix(err.Error(), "node1 (") {
		t.Fatalf("got %T: %v", err, err)
	}
}

// A host that accepts TCP but never speaks SSH (a frozen machine) must fail
// within DialTimeout.
func TestHandshakeDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // accept, then say nothing
		}
	}()
	s := newTestServer(t) // only for a client key
	port := ln.Addr().(*net.TCPAddr).Port
	tg := Target{Name: "node9", Address: "127.0.0.1", Port: port, User: "root", KeyFile: s.clientKey,
		KnownHosts: writeKnownHosts(t, ""), DialTimeout: 300 * time.Millisecond}
	start := time.Now()
	_, err = Dial(context.Background(), tg)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("dial succeeded")
	}
	if elapsed > 2*time.Second {
		t.Errorf("dial took %v, want about 300ms", elapsed)
	}
	wantPrefix := "node9 (127.0.0.1:" + strconv.Itoa(port) + "): not reachable over SSH: "
	if !strings.HasPrefix(err.Error(), wantPrefix) || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q, want prefix %q and a timeout", err, wantPrefix)
	}
}

func TestDialCancelledDuringHandshake(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := newTestServer(t)
	tg := Target{Name: "node9", Address: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, KeyFile: s.clientKey,
		KnownHosts: writeKnownHosts(t, ""), DialTimeout: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Dial(ctx, tg)
	if err == nil || time.Since(start) > 2*time.Second || !errors.Is(err, context.Canceled) {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
}

func TestUnreachableNamesHost(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens now
	s := newTestServer(t)
	tg := Target{Name: "node2", Address: "127.0.0.1", Port: port, KeyFile: s.clientKey, KnownHosts: writeKnownHosts(t, "")}
	_, err := Dial(context.Background(), tg)
	var dErr *DialError
	if !errors.As(err, &dErr) || !strings.HasPrefix(err.Error(), "node2 (127.0.0.1:"+strconv.Itoa(port)+"): not reachable over SSH: dial tcp") {
		t.Fatalf("got %T: %v", err, err)
	}
}

func TestDialAllReturnsGoodHostsAndEveryFailure(t *testing.T) {
	s := newTestServer(t)
	kh := writeKnownHosts(t, s.knownHostsLine())
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	bad1 := s.target("bad1", kh)
	bad1.Port = dead
	bad2 := s.target("bad2", writeKnownHosts(t, "")) // unknown host key
	hosts, err := DialAll(context.Background(), []Target{s.target("good1", kh), bad1, s.target("good2", kh), bad2})
	defer func() {
		for _, h := range hosts {
			h.Close()
		}
	}()
	if len(hosts) != 2 || hosts["good1"] == nil || hosts["good2"] == nil {
		t.Errorf("hosts = %v", hosts)
	}
	if err == nil || !strings.Contains(err.Error(), "bad1 (") || !strings.Contains(err.Error(), "bad2 (") {
		t.Fatalf("error = %v", err)
	}
	var hkErr *HostKeyError
	if !errors.As(err, &hkErr) || hkErr.Host != "bad2" {
		t.Errorf("joined error does not expose bad2's HostKeyError: %v", err)
	}
}

// A host that stops answering after the handshake is dropped by the
// keep-alive, so calls fail instead of hanging.
func TestKeepAliveDropsFrozenHost(t *testing.T) {
	oldI, oldT := keepAliveInterval, keepAliveTimeout
	keepAliveInterval, keepAliveTimeout = 50*time.Millisecond, 150*time.Millisecond
	defer func() { keepAliveInterval, keepAliveTimeout = oldI, oldT }()

	s := newTestServer(t)
	h, err := Dial(context.Background(), s.target("node1", writeKnownHosts(t, s.knownHostsLine())))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.Exec(context.Background(), "true"); err != nil {
		t.Fatal(err)
	}
	s.dropAlive.Store(true)
	start := time.Now()
	_, err = h.Exec(context.Background(), "sleep 5")
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Exec after freeze: %v after %v", err, time.Since(start))
	}
	if !strings.HasPrefix(err.Error(), "node1") {
		t.Errorf("error %q does not name the host", err)
	}
}
