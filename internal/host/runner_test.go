package host

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dialTest dials the server as user.
func dialTest(t *testing.T, s *testServer, user string) *Host {
	t.Helper()
	tg := s.target("node1", writeKnownHosts(t, s.knownHostsLine()))
	tg.User = user
	h, err := Dial(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestExecError(t *testing.T) {
	h := dialTest(t, newTestServer(t), "root")
	out, err := h.Exec(context.Background(), "echo partial; echo oops >&2; exit 3")
	var execErr *ExecError
	if !errors.As(err, &execErr) {
		t.Fatalf("want *ExecError, got %T: %v", err, err)
	}
	if execErr.ExitCode != 3 || execErr.Stderr != "oops" || execErr.Host != "node1" || out != "partial\n" {
		t.Errorf("ExecError = %+v, out %q", execErr, out)
	}
	if want := `node1: command "echo partial; echo oops >&2; exit 3" failed with exit code 3: oops`; err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
}

func TestExecStderrKeepsTail(t *testing.T) {
	h := dialTest(t, newTestServer(t), "root")
	_, err := h.Exec(context.Background(), "i=0; while [ $i -lt 500 ]; do echo line$i >&2; i=$((i+1)); done; exit 1")
	var execErr *ExecError
	if !errors.As(err, &execErr) {
		t.Fatal(err)
	}
	if len(execErr.Stderr) > stderrTail+3 || !strings.HasSuffix(execErr.Stderr, "line499") || !strings.HasPrefix(execErr.Stderr, "...") {
		t.Errorf("stderr (%d bytes) %q...", len(execErr.Stderr), execErr.Stderr[:40])
	}
}

func TestExecWithStdin(t *testing.T) {
	h := dialTest(t, newTestServer(t), "root")
	out, err := h.Exec(context.Background(), "cat", WithStdin(strings.NewReader("s3cret'\"$x")))
	if err != nil || out != "s3cret'\"$x" {
		t.Fatalf("Exec = %q, %v", out, err)
	}
}

func TestExecCancel(t *testing.T) {
	h := dialTest(t, newTestServer(t), "root")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Exec(ctx, "sleep 10")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	// The connection is still usable.
	if out, err := h.Exec(context.Background(), "echo ok"); err != nil || out != "ok\n" {
		t.Fatalf("Exec after cancel = %q, %v", out, err)
	}
}

func TestSudoRunsAsIsForRoot(t *testing.T) {
	s := newTestServer(t)
	s.sudoPasswd.Store(true) // sudo would fail: it must not be used
	h := dialTest(t, s, "root")
	if out, err := h.Sudo(context.Background(), "echo root"); err != nil || out != "root\n" {
		t.Fatalf("Sudo = %q, %v", out, err)
	}
}

func TestSudoWrapsForOtherUsers(t *testing.T) {
	h := dialTest(t, newTestServer(t), "deploy")
	if got, want := sudoCommand(`echo 'a b'`), `sudo -n sh -c 'echo '\''a b'\'''`; got != want {
		t.Errorf("sudoCommand = %s, want %s", got, want)
	}
	// The fake sudo insists on -n; quoting must survive the extra shell.
	out, err := h.Sudo(context.Background(), `echo 'a b' "$((1+1))"; cat`, WithStdin(strings.NewReader("in")))
	if err != nil || out != "a b 2\nin" {
		t.Fatalf("Sudo = %q, %v", out, err)
	}
}

func TestSudoPasswordRequired(t *testing.T) {
	s := newTestServer(t)
	s.sudoPasswd.Store(true)
	h := dialTest(t, s, "deploy")
	_, err := h.Sudo(context.Background(), "true")
	var execErr *ExecError
	if !errors.Is(err, ErrSudoPassword) || !errors.As(err, &execErr) || execErr.ExitCode != 1 {
		t.Fatalf("got %T: %v", err, err)
	}
	for _, want := range []string{"node1: ", "passwordless sudo", `"deploy ALL=(ALL) NOPASSWD: ALL"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	err = h.Upload(context.Background(), "/tmp/x", nil, 0o600)
	if !errors.Is(err, ErrSudoPassword) || !strings.HasPrefix(err.Error(), "node1: uploading /tmp/x: sudo asks") {
		t.Errorf("Upload: %v", err)
	}
}

func TestUpload(t *testing.T) {
	for _, user := range []string{"root", "deploy"} {
		t.Run(user, func(t *testing.T) {
			h := dialTest(t, newTestServer(t), user)
			dir := t.TempDir()
			file := filepath.Join(dir, "new dir", "it's", "config.yml")
			data := append([]byte("secret: '$HOME' `x`\n"), 0, 1, 2, 255)
			for _, mode := range []os.FileMode{0o640, 0o600} { // create, then replace
				if err := h.Upload(context.Background(), file, data, mode); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(file)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("content %q, %v", got, err)
				}
				if st, _ := os.Stat(file); st.Mode().Perm() != mode {
					t.Errorf("mode %v, want %v", st.Mode().Perm(), mode)
				}
			}
			left, _ := filepath.Glob(filepath.Join(dir, "new dir", "it's", "*"))
			if len(left) != 1 {
				t.Errorf("files left in the directory: %v", left)
			}
		})
	}
}

func TestUploadFailureKeepsOldFileAndExplains(t *testing.T) {
	h := dialTest(t, newTestServer(t), "root")
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, []byte("x"), 0o600)
	err := h.Upload(context.Background(), filepath.Join(blocker, "sub", "f"), []byte("y"), 0o600)
	var execErr *ExecError
	if !errors.As(err, &execErr) || !strings.HasPrefix(err.Error(), "node1: uploading "+blocker+"/sub/f: exit code 1: mkdir") {
		t.Fatalf("got %T: %v", err, err)
	}
	if err := h.Upload(context.Background(), "relative/path", nil, 0o600); err == nil {
		t.Error("relative path accepted")
	}
}

func TestExecWithStdoutStreams(t *testing.T) {
	h := dialTest(t, newTestServer(t), "root")
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		// Prints a line, then waits for stdin to close, like a lock holder.
		out, err := h.Exec(context.Background(), "echo ready; cat >/dev/null; echo bye", WithStdin(strings.NewReader("")), WithStdout(w))
		if out != "" {
			err = errors.New("output returned as well as streamed: " + out)
		}
		w.CloseWithError(err)
		done <- err
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	go io.Copy(io.Discard, r)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
