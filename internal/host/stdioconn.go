package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Why our own net.Conn: a non-root user cannot open the root-owned Docker
// socket, so we cannot forward to it; instead `sudo docker system
// dial-stdio` runs as root on the host and relays the socket to its stdin
// and stdout. That is a byte stream from an SSH session, not a socket, and
// the Docker client's HTTP transport wants a net.Conn. docker/cli wraps a
// local ssh process the same way (cli/connhelper/commandconn); we wrap an
// SSH session of our own connection instead, which keeps one SSH connection
// (and one host-key check) per host and needs no ssh binary.

// dialStdio starts cmd in a new SSH session and returns its stdio as a
// net.Conn.
func (h *Host) dialStdio(ctx context.Context, cmd string) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		sess, err := h.client.NewSession()
		if err != nil {
			ch <- result{nil, fmt.Errorf("opening SSH session: %w", err)}
			return
		}
		stdin, err1 := sess.StdinPipe()
		stdout, err2 := sess.StdoutPipe()
		if err := errors.Join(err1, err2); err != nil {
			sess.Close()
			ch <- result{nil, err}
			return
		}
		stderr := &syncTail{tail: tailBuffer{max: stderrTail}}
		sess.Stderr = stderr
		if err := sess.Start(cmd); err != nil {
			sess.Close()
			ch <- result{nil, fmt.Errorf("starting %q: %w", cmd, err)}
			return
		}
		ch <- result{newStdioConn(cmd, stdout, stdin, stderr, sess.Close, sess.Wait), nil}
	}()
	select {
	case r := <-ch:
		return r.conn, r.err
	case <-ctx.Done():
		go func() { // close a session that opens after we gave up
			if r := <-ch; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// stdioConn is a net.Conn over a command's stdin (writes) and stdout
// (reads). Deadlines are accepted and ignored, as in docker/cli's
// commandconn: the HTTP transport cancels through Close, and the SSH
// keep-alive bounds a dead host.
type stdioConn struct {
	cmd    string
	r      io.Reader
	w      io.WriteCloser
	stderr *syncTail
	kill   func() error

	exited  chan struct{}
	waitErr error // set before exited is closed

	closeOnce sync.Once
	closed    chan struct{}
}

// newStdioConn wraps a started command: r is its stdout, w its stdin, kill
// ends it, wait blocks until it has ended (called once, here).
func newStdioConn(cmd string, r io.Reader, w io.WriteCloser, stderr *syncTail, kill, wait func() error) *stdioConn {
	c := &stdioConn{cmd: cmd, r: r, w: w, stderr: stderr, kill: kill,
		exited: make(chan struct{}), closed: make(chan struct{})}
	go func() {
		c.waitErr = wait()
		close(c.exited)
	}()
	return c
}

func (c *stdioConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		if exitErr := c.exitError(); exitErr != nil {
			return n, exitErr
		}
	}
	return n, err
}

// exitError explains an EOF on stdout when the command failed (e.g. "sudo:
// a password is required" or "docker: not found"), waiting briefly for the
// exit status that follows the EOF.
func (c *stdioConn) exitError() error {
	select {
	case <-c.exited:
	case <-c.closed:
		return nil
	case <-time.After(2 * time.Second):
		return nil
	}
	if c.waitErr == nil {
		return nil
	}
	msg := fmt.Sprintf("%q ended: %v", c.cmd, c.waitErr)
	if s := strings.TrimSpace(c.stderr.String()); s != "" {
		msg += ": " + s
		if sudoWantsPassword(s) {
			msg += " (skep needs passwordless sudo for non-root users)"
		}
	}
	return errors.New(msg)
}

func (c *stdioConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// CloseWrite sends EOF to the command; the Docker client uses it on
// hijacked connections (attach, exec).
func (c *stdioConn) CloseWrite() error { return c.w.Close() }

// Close ends the command and releases the session.
func (c *stdioConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.w.Close()
		_ = c.kill()
	})
	return nil
}

func (c *stdioConn) LocalAddr() net.Addr              { return stdioAddr{} }
func (c *stdioConn) RemoteAddr() net.Addr             { return stdioAddr{} }
func (c *stdioConn) SetDeadline(time.Time) error      { return nil }
func (c *stdioConn) SetReadDeadline(time.Time) error  { return nil }
func (c *stdioConn) SetWriteDeadline(time.Time) error { return nil }

type stdioAddr struct{}

func (stdioAddr) Network() string { return "stdio" }
func (stdioAddr) String() string  { return "stdio" }

// syncTail is a tailBuffer safe for a writer and a reader in different
// goroutines.
type syncTail struct {
	mu   sync.Mutex
	tail tailBuffer
}

func (s *syncTail) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tail.Write(p)
}

func (s *syncTail) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tail.String()
}
