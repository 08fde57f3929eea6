package host

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// testServer is an in-process SSH server: public-key auth with one client
// key, "exec" requests run with sh -c on this machine, direct-streamlocal
// forwards to local unix sockets. A fake sudo (see fakeSudo) is first in
// the commands' PATH.
type testServer struct {
	t          *testing.T
	ln         net.Listener
	host       string
	port       int
	hostKeys   []ssh.Signer
	clientKey  string // private key file, 0600
	clientPub  ssh.PublicKey
	binDir     string
	sudoPasswd atomic.Bool // fake sudo demands a password
	dropAlive  atomic.Bool // ignore keepalive requests (a frozen server)
	wg         sync.WaitGroup
}

func newTestServer(t *testing.T, hostKeys ...ssh.Signer) *testServer {
	t.Helper()
	if len(hostKeys) == 0 {
		hostKeys = []ssh.Signer{newEd25519Signer(t)}
	}
	s := &testServer{t: t, hostKeys: hostKeys, binDir: t.TempDir()}
	s.clientKey, s.clientPub = writeClientKey(t, t.TempDir())
	writeFakeSudo(t, s.binDir)

	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(s.clientPub.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.host = "127.0.0.1"
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serveConn(c, cfg)
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// addr is host:port.
func (s *testServer) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// knownHostsLine is the known_hosts line for the server's first host key.
func (s *testServer) knownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.addr())}, s.hostKeys[0].PublicKey()) + "\n"
}

// target returns a Target for the server with a key file and the given
// known_hosts file.
func (s *testServer) target(name, knownHosts string) Target {
	return Target{Name: name, Address: s.host, Port: s.port, User: "root",
		KeyFile: s.clientKey, KnownHosts: knownHosts, DialTimeout: 2 * time.Second}
}

func (s *testServer) serveConn(c net.Conn, cfg *ssh.ServerConfig) {
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		c.Close()
		return
	}
	defer sc.Close()
	go func() {
		for r := range reqs {
			if s.dropAlive.Load() {
				continue // never answer: the client must give up on its own
			}
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
	}()
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			go s.serveSession(nc)
		case "direct-streamlocal@openssh.com":
			go serveStreamLocal(nc)
		default:
			nc.Reject(ssh.UnknownChannelType, "unsupported")
		}
	}
}

func (s *testServer) serveSession(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	var proc atomic.Pointer[os.Process]
	for r := range reqs {
		switch r.Type {
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(r.Payload, &p); err != nil {
				r.Reply(false, nil)
				continue
			}
			r.Reply(true, nil)
			go func() {
				code := s.run(ch, p.Command, &proc)
				ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
				ch.Close()
			}()
		case "signal":
			if p := proc.Load(); p != nil {
				p.Kill()
			}
			if r.WantReply {
				r.Reply(true, nil)
			}
		default:
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
	}
	if p := proc.Load(); p != nil { // channel closed by the client
		p.Kill()
	}
}

// run runs command with sh -c, wired to the channel, and returns its exit code.
func (s *testServer) run(ch ssh.Channel, command string, proc *atomic.Pointer[os.Process]) int {
	cmd := exec.Command("sh", "-c", command)
	cmd.Env = append(os.Environ(), "PATH="+s.binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	if s.sudoPasswd.Load() {
		cmd.Env = append(cmd.Env, "FAKE_SUDO_PASSWORD=1")
	}
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 255
	}
	if err := cmd.Start(); err != nil {
		return 127
	}
	proc.Store(cmd.Process)
	// Copy stdin ourselves so that Wait does not wait for the client's EOF.
	go func() { io.Copy(stdin, ch); stdin.Close() }()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() < 0 {
			return 137
		}
		return ee.ExitCode()
	}
	if err != nil {
		return 255
	}
	return 0
}

func serveStreamLocal(nc ssh.NewChannel) {
	var p struct {
		SocketPath string
		Reserved0  string
		Reserved1  uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &p); err != nil {
		nc.Reject(ssh.ConnectionFailed, "bad payload")
		return
	}
	conn, err := net.Dial("unix", p.SocketPath)
	if err != nil {
		nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		conn.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	go func() { io.Copy(ch, conn); ch.CloseWrite(); ch.Close() }()
	io.Copy(conn, ch)
	conn.Close()
}

// writeFakeSudo puts a sudo in dir that insists on -n, refuses when
// FAKE_SUDO_PASSWORD is set (as real sudo -n does without NOPASSWD), and
// otherwise runs its arguments.
func writeFakeSudo(t *testing.T, dir string) {
	t.Helper()
	script := `#!/bin/sh
[ "$1" = "-n" ] || { echo "fake sudo: expected -n" >&2; exit 2; }
shift
if [ -n "$FAKE_SUDO_PASSWORD" ]; then echo "sudo: a password is required" >&2; exit 1; fi
exec "$@"
`
	if err := os.WriteFile(filepath.Join(dir, "sudo"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func newEd25519Signer(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newRSASigner(t *testing.T) ssh.Signer {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeClientKey writes a new ed25519 private key to dir/id_ed25519 (0600).
func writeClientKey(t *testing.T, dir string) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return file, sshPub
}

// writeKnownHosts writes content to a new known_hosts file and returns its path.
func writeKnownHosts(t *testing.T, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
