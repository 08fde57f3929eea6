package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/docker/docker/client"
	"golang.org/x/crypto/ssh"
)

// Runner is what code that drives hosts needs from a transport; *Host
// implements it, and tests can fake it.
type Runner interface {
	Name() string
	Address() string
	Exec(ctx context.Context, cmd string, opts ...ExecOption) (string, error)
	Sudo(ctx context.Context, cmd string, opts ...ExecOption) (string, error)
	Upload(ctx context.Context, path string, data []byte, mode os.FileMode) error
}

var _ Runner = (*Host)(nil)

// Node is a Runner that also reaches the host's Docker engine: all that
// apply needs of a host, so its steps can run against a fake in tests.
type Node interface {
	Runner
	Docker(ctx context.Context) (client.APIClient, error)
}

var _ Node = (*Host)(nil)

// ExecOption changes how Exec runs a command.
type ExecOption func(*execOptions)

type execOptions struct {
	stdin  io.Reader
	stdout io.Writer
}

// WithStdin feeds r to the command's standard input. Secrets go this way,
// never in the command line (argv is visible in ps on the host).
func WithStdin(r io.Reader) ExecOption {
	return func(o *execOptions) { o.stdin = r }
}

// WithStdout streams the command's standard output to w as it comes,
// instead of collecting it: Exec then returns "". For long-running
// commands read line by line (e.g. a lock holder). If ctx is cancelled,
// Exec returns without waiting for the stream to drain, so w may still be
// written to briefly; a pipe closed by the caller is fine.
func WithStdout(w io.Writer) ExecOption {
	return func(o *execOptions) { o.stdout = w }
}

// ExecStreams says what opts set: the reader fed to the command's stdin
// and the writer its stdout streams to, nil when unset. Runners outside
// this package (test fakes) read their options through it.
func ExecStreams(opts ...ExecOption) (stdin io.Reader, stdout io.Writer) {
	var o execOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o.stdin, o.stdout
}

// stderrTail is how much of a failed command's stderr an ExecError keeps.
const stderrTail = 2048

// Exec runs cmd in a new SSH session (the user's login shell interprets it)
// and returns its stdout. A non-zero exit gives an *ExecError with the exit
// code and the end of stderr. Cancelling ctx closes the session.
func (h *Host) Exec(ctx context.Context, cmd string, opts ...ExecOption) (string, error) {
	var o execOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s: %s: %w", h.Name(), shorten(cmd, 120), err)
	}
	sess, err := h.client.NewSession()
	if err != nil {
		return "", fmt.Errorf("%s: opening SSH session: %w", h.Name(), err)
	}
	defer sess.Close()

	var stdout bytes.Buffer
	stderr := &tailBuffer{max: stderrTail}
	sess.Stdout = &stdout
	if o.stdout != nil {
		sess.Stdout = o.stdout
	}
	sess.Stderr = stderr
	sess.Stdin = o.stdin

	if err := sess.Start(cmd); err != nil {
		return "", fmt.Errorf("%s: starting %q: %w", h.Name(), shorten(cmd, 120), err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()

	select {
	case err = <-done:
	case <-ctx.Done():
		// Ask the remote side to stop (OpenSSH honours signals since 7.9),
		// then close the channel, which ends Wait.
		_ = sess.Signal(ssh.SIGKILL)
		_ = sess.Close()
		// Not waiting for Wait: it also waits for the stdin copy, which a
		// blocking reader could hold forever. Nothing reads the buffers now.
		return "", fmt.Errorf("%s: %s: %w", h.Name(), shorten(cmd, 120), ctx.Err())
	}
	if err == nil {
		return stdout.String(), nil
	}
	execErr := &ExecError{Host: h.Name(), Cmd: cmd, ExitCode: -1, Stderr: strings.TrimSpace(stderr.String())}
	var exitErr *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case errors.As(err, &exitErr):
		if exitErr.Signal() != "" {
			execErr.Signal = exitErr.Signal()
		} else {
			execErr.ExitCode = exitErr.ExitStatus()
		}
	case errors.As(err, &missing):
		// ExitCode stays -1: the connection dropped or the server did not say.
	default:
		return stdout.String(), fmt.Errorf("%s: running %q: %w", h.Name(), shorten(cmd, 120), err)
	}
	return stdout.String(), execErr
}

// Sudo runs cmd as root: as is when connected as root, else through
// `sudo -n sh -c '<cmd>'` (never prompting). When sudo wants a password the
// error is a *SudoError that says passwordless sudo is required.
func (h *Host) Sudo(ctx context.Context, cmd string, opts ...ExecOption) (string, error) {
	if h.t.User == "root" {
		return h.Exec(ctx, cmd, opts...)
	}
	out, err := h.Exec(ctx, sudoCommand(cmd), opts...)
	var execErr *ExecError
	if errors.As(err, &execErr) && sudoWantsPassword(execErr.Stderr) {
		return out, &SudoError{User: h.t.User, Err: execErr}
	}
	return out, err
}

// sudoCommand wraps cmd so that it runs as root through a non-interactive sudo.
func sudoCommand(cmd string) string {
	return "sudo -n sh -c " + ShellQuote(cmd)
}

// sudoWantsPassword recognises sudo's complaint when -n forbids prompting.
func sudoWantsPassword(stderr string) bool {
	return strings.Contains(stderr, "a password is required") ||
		strings.Contains(stderr, "a terminal is required")
}

// Upload writes data to path on the host atomically (a temporary file in
// the same directory, then mv), as root via Sudo, creating the parent
// directory and setting mode. The data goes through stdin, never argv.
func (h *Host) Upload(ctx context.Context, file string, data []byte, mode os.FileMode) error {
	if !path.IsAbs(file) || path.Clean(file) != file {
		return fmt.Errorf("%s: upload: %q is not a clean absolute path", h.Name(), file)
	}
	_, err := h.Sudo(ctx, uploadScript(file, mode), WithStdin(bytes.NewReader(data)))
	if err != nil {
		return &opError{Host: h.Name(), Op: "uploading " + file, Err: err}
	}
	return nil
}

// uploadScript is the shell that Upload runs: mktemp makes the temporary
// file 0600, so the content is never readable by others before chmod; the
// trap removes it if any step fails.
func uploadScript(file string, mode os.FileMode) string {
	f := ShellQuote(file)
	return fmt.Sprintf(`set -e; mkdir -p %s; t=$(mktemp %s); trap 'rm -f "$t"' EXIT; `+
		`cat > "$t"; chmod %04o "$t"; mv -f "$t" %s; trap - EXIT`,
		ShellQuote(path.Dir(file)), ShellQuote(file+".skep-XXXXXX"), mode.Perm(), f)
}

// opError names what a host was doing when err happened, without repeating
// the host name or the (long, internal) command of an ExecError.
type opError struct {
	Host, Op string
	Err      error
}

func (e *opError) Error() string {
	var execErr *ExecError
	if errors.As(e.Err, &execErr) && !errors.Is(e.Err, ErrSudoPassword) {
		msg := fmt.Sprintf("%s: %s: exit code %d", e.Host, e.Op, execErr.ExitCode)
		if execErr.Stderr != "" {
			msg += ": " + execErr.Stderr
		}
		return msg
	}
	return e.Host + ": " + e.Op + ": " + strings.TrimPrefix(e.Err.Error(), e.Host+": ")
}

func (e *opError) Unwrap() error { return e.Err }

// ShellQuote quotes s as one word for a POSIX shell: the one quoting
// helper for every script skep sends to a host.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
	cut bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.cut = true
	}
	return n, nil
}

func (b *tailBuffer) String() string {
	if b.cut {
		return "..." + string(b.buf)
	}
	return string(b.buf)
}
