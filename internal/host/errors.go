package host

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSudoPassword is matched (errors.Is) by the error Sudo returns when sudo
// asks for a password: skep needs passwordless sudo for non-root users.
var ErrSudoPassword = errors.New("sudo requires a password")

// DialError is returned by Dial when the host cannot be reached or the SSH
// handshake fails for a reason other than its host key.
type DialError struct {
	Host    string
	Address string // host:port
	Err     error
	Hint    string // optional advice, printed after the cause
}

func (e *DialError) Error() string {
	msg := fmt.Sprintf("%s (%s): not reachable over SSH: %v", e.Host, e.Address, e.Err)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func (e *DialError) Unwrap() error { return e.Err }

// AuthError is returned by Dial when the host refused our credentials or
// the credentials could not be loaded (key file, agent).
type AuthError struct {
	Host    string
	Address string
	User    string
	Err     error
	Hint    string
}

func (e *AuthError) Error() string {
	msg := fmt.Sprintf("%s (%s): SSH authentication as %q failed: %v", e.Host, e.Address, e.User, e.Err)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func (e *AuthError) Unwrap() error { return e.Err }

// HostKeyError is returned by Dial when the host's key is unknown (and
// AcceptNew is off) or differs from the one in known_hosts.
type HostKeyError struct {
	Host        string
	Address     string // host:port as dialled
	Fingerprint string // ssh.FingerprintSHA256 of the key the host offered
	Changed     bool   // true: known_hosts has a different key for this host
	KnownHosts  string // the known_hosts file checked
	Revoked     bool   // the key is marked @revoked in known_hosts
}

func (e *HostKeyError) Error() string {
	switch {
	case e.Revoked:
		return fmt.Sprintf("%s (%s): host key %s is marked @revoked in %s; refusing to connect",
			e.Host, e.Address, e.Fingerprint, e.KnownHosts)
	case e.Changed:
		return fmt.Sprintf("%s (%s): HOST KEY CHANGED: the host offered %s, which does not match %s; "+
			"refusing to connect (possible man-in-the-middle); remove the old line from %s if the change is expected",
			e.Host, e.Address, e.Fingerprint, e.KnownHosts, e.KnownHosts)
	default:
		return fmt.Sprintf("%s (%s): unknown host key %s; verify it, then run again with --accept-new-host-keys to trust it",
			e.Host, e.Address, e.Fingerprint)
	}
}

// ExecError is returned by Exec (and Sudo, Upload) when the remote command
// exits non-zero or is killed by a signal.
type ExecError struct {
	Host     string
	Cmd      string
	ExitCode int    // -1 when killed by a signal or when the exit status was not reported
	Signal   string // signal name when killed by a signal
	Stderr   string // the last ~2KB of stderr, trimmed
}

func (e *ExecError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: command %q ", e.Host, shorten(e.Cmd, 120))
	switch {
	case e.Signal != "":
		fmt.Fprintf(&b, "killed by signal %s", e.Signal)
	case e.ExitCode < 0:
		b.WriteString("ended without an exit status")
	default:
		fmt.Fprintf(&b, "failed with exit code %d", e.ExitCode)
	}
	if e.Stderr != "" {
		b.WriteString(": ")
		b.WriteString(e.Stderr)
	}
	return b.String()
}

// SudoError is returned by Sudo when sudo needs a password. It wraps the
// ExecError and matches ErrSudoPassword.
type SudoError struct {
	User string
	Err  *ExecError
}

func (e *SudoError) Error() string {
	return fmt.Sprintf("%s: sudo asks for a password for user %q, but skep needs passwordless sudo; "+
		"allow it, e.g. with the line %q in /etc/sudoers.d/skep, or connect as root",
		e.Err.Host, e.User, e.User+" ALL=(ALL) NOPASSWD: ALL")
}

func (e *SudoError) Unwrap() []error { return []error{e.Err, ErrSudoPassword} }

// shorten cuts s to at most n bytes, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
