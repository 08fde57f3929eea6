package host

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeEngine answers the two Docker API calls the tests make.
func fakeEngine() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("API-Version", "1.45")
		io.WriteString(w, "OK")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/version") {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"Version": "fake-" + r.URL.Path, "ApiVersion": "1.45"})
	})
	return mux
}

// TestHelperDialStdio is not a test: run as a subprocess with
// SKEP_FAKE_DIAL_STDIO=1, it plays `docker system dial-stdio`, serving the
// fake engine on its stdin and stdout until stdin closes.
func TestHelperDialStdio(t *testing.T) {
	if os.Getenv("SKEP_FAKE_DIAL_STDIO") != "1" {
		t.Skip("helper process")
	}
	conn := &pipeConn{r: os.Stdin, w: os.Stdout, done: make(chan struct{})}
	srv := &http.Server{Handler: fakeEngine()}
	srv.Serve(&oneConnListener{conn: conn})
	os.Exit(0)
}

// pipeConn is a net.Conn over two files, for the helper process.
type pipeConn struct {
	stdioConn // for the address and deadline methods only
	r         io.Reader
	w         io.Writer
	once      sync.Once
	done      chan struct{}
}

func (c *pipeConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *pipeConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *pipeConn) Close() error                { c.once.Do(func() { close(c.done) }); return nil }

// oneConnListener hands out one conn, then ends when that conn closes.
type oneConnListener struct {
	conn   *pipeConn
	served bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if !l.served {
		l.served = true
		return l.conn, nil
	}
	<-l.conn.done
	return nil, net.ErrClosed
}
func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return stdioAddr{} }

func fakeDialStdioCmd(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return "env SKEP_FAKE_DIAL_STDIO=1 " + ShellQuote(exe) + " -test.run='^TestHelperDialStdio$'"
}

// startLocalStdioConn starts cmd locally and wraps it in a stdioConn. The
// stdout pipe is ours, not cmd.StdoutPipe: Wait (run by the conn) would
// close that one under a concurrent Read.
func startLocalStdioConn(t *testing.T, cmd *exec.Cmd, stderr *syncTail) *stdioConn {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() { pr.Close() })
	return newStdioConn(strings.Join(cmd.Args, " "), pr, stdin, stderr, cmd.Process.Kill, cmd.Wait)
}

func TestStdioConnLocalCommand(t *testing.T) {
	c := startLocalStdioConn(t, exec.Command("cat"), &syncTail{tail: tailBuffer{max: 100}})
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	if err := c.CloseWrite(); err != nil { // cat sees EOF and exits 0
		t.Fatal(err)
	}
	if n, err := c.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("after CloseWrite: %d, %v; want EOF", n, err)
	}
	c.Close()
}

func TestStdioConnExplainsFailedCommand(t *testing.T) {
	cmd := exec.Command("sh", "-c", "echo 'sudo: a password is required' >&2; exit 1")
	c := startLocalStdioConn(t, cmd, &syncTail{tail: tailBuffer{max: 100}})
	defer c.Close()
	_, err := io.ReadAll(c)
	if err == nil || !strings.Contains(err.Error(), "a password is required") || !strings.Contains(err.Error(), "passwordless sudo") {
		t.Fatalf("err = %v", err)
	}
}

// Non-root: the Docker client talks HTTP through dial-stdio in an SSH session.
func TestDockerOverDialStdio(t *testing.T) {
	h := dialTest(t, newTestServer(t), "deploy")
	h.dialStdioCmd = "sudo -n " + fakeDialStdioCmd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := h.Docker(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := h.Docker(ctx); again != cli {
		t.Error("Docker() not cached")
	}
	for range 3 { // keep-alive reuses the conn
		v, err := cli.ServerVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != "fake-/v1.45/version" {
			t.Errorf("version %q: API version not negotiated", v.Version)
		}
	}
}

func TestDockerDialStdioFailureExplained(t *testing.T) {
	s := newTestServer(t)
	s.sudoPasswd.Store(true)
	h := dialTest(t, s, "deploy")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := h.Docker(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "node1: Docker engine not reachable over SSH") ||
		!strings.Contains(err.Error(), "a password is required") {
		t.Fatalf("err = %v", err)
	}
}

// Root: the Docker client talks to the socket through direct-streamlocal.
func TestDockerOverSocketForwarding(t *testing.T) {
	dir, err := os.MkdirTemp("", "skepdock") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: fakeEngine()}
	go srv.Serve(ln)
	defer srv.Close()

	h := dialTest(t, newTestServer(t), "root")
	h.dockerSocket = sock
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := h.Docker(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := cli.ServerVersion(ctx)
	if err != nil || v.Version != "fake-/v1.45/version" {
		t.Fatalf("version %+v, %v", v, err)
	}

	h2 := dialTest(t, newTestServer(t), "root")
	h2.dockerSocket = filepath.Join(dir, "missing.sock")
	if _, err := h2.Docker(ctx); err == nil || !strings.Contains(err.Error(), "missing.sock") {
		t.Errorf("missing socket: %v", err)
	}
}
