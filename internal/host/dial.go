package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docker/docker/client"
	"golang.org/x/crypto/ssh"
)

// DefaultDialTimeout bounds the TCP connect and the SSH handshake when
// Target.DialTimeout is zero.
const DefaultDialTimeout = 5 * time.Second

// Target says how to reach one host.
type Target struct {
	Name, Address string
	Port          int    // default 22
	User          string // default "root"
	KeyFile       string // "" => ssh-agent via SSH_AUTH_SOCK
	KnownHosts    string // known_hosts file to verify against (and append to when AcceptNew); default ~/.ssh/known_hosts
	// AcceptNew trusts on first use: an UNKNOWN host key is accepted and
	// appended to KnownHosts; a CHANGED key is always refused.
	AcceptNew bool
	// DialTimeout bounds the TCP connect AND the SSH handshake (a frozen
	// host completes TCP but never answers SSH). Default 5s.
	DialTimeout time.Duration
}

// addr is host:port as dialled.
func (t Target) addr() string { return net.JoinHostPort(t.Address, strconv.Itoa(t.Port)) }

// withDefaults fills in the defaults documented on Target.
func (t Target) withDefaults() (Target, error) {
	if t.Address == "" {
		name := t.Name
		if name == "" {
			name = "host"
		}
		return t, fmt.Errorf("%s: no address to connect to", name)
	}
	if t.Name == "" {
		t.Name = t.Address
	}
	if t.Port == 0 {
		t.Port = 22
	}
	if t.User == "" {
		t.User = "root"
	}
	if t.DialTimeout <= 0 {
		t.DialTimeout = DefaultDialTimeout
	}
	if t.KnownHosts == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return t, fmt.Errorf("%s: no known_hosts file given and no home directory: %w", t.Name, err)
		}
		t.KnownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	t.KnownHosts = expandHome(t.KnownHosts)
	t.KeyFile = expandHome(t.KeyFile)
	return t, nil
}

// Host is an open SSH connection to one machine. It is safe for concurrent
// use: every Exec opens its own SSH session.
type Host struct {
	t      Target
	client *ssh.Client

	// dockerSocket and dialStdioCmd are how Docker() reaches the engine;
	// fields rather than constants so tests can point them elsewhere.
	dockerSocket string
	dialStdioCmd string

	mu                sync.Mutex
	docker            *client.Client
	lastDockerDialErr atomic.Pointer[error] // the last failure of dialDocker

	stopKeepAlive chan struct{}
	closeOnce     sync.Once
	closeErr      error
}

// Name is the host's name from the cluster file; every error starts with it.
func (h *Host) Name() string { return h.t.Name }

// Address is the host's address (without the port).
func (h *Host) Address() string { return h.t.Address }

// User is the SSH user.
func (h *Host) User() string { return h.t.User }

// Dial connects to t, verifies its host key and authenticates.
func Dial(ctx context.Context, t Target) (*Host, error) {
	t, err := t.withDefaults()
	if err != nil {
		return nil, err
	}
	addr := t.addr()

	auth, closeAuth, err := authMethod(t)
	if err != nil {
		return nil, err
	}
	defer closeAuth()

	algos, err := knownKeyAlgorithms(t.KnownHosts, addr)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): reading known hosts: %w", t.Name, addr, err)
	}
	checker := &hostKeyChecker{name: t.Name, address: addr, file: t.KnownHosts, acceptNew: t.AcceptNew}
	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              []ssh.AuthMethod{auth},
		HostKeyCallback:   checker.callback(),
		HostKeyAlgorithms: algos,
		Timeout:           t.DialTimeout,
	}

	dctx, cancel := context.WithTimeout(ctx, t.DialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, &DialError{Host: t.Name, Address: addr, Err: err}
	}

	// The handshake must finish within the same budget: a frozen host
	// accepts TCP (the kernel does) but its sshd never answers. The deadline
	// covers that; the AfterFunc also ends it when ctx is cancelled.
	deadline, _ := dctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(dctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	stop()
	if err != nil {
		conn.Close()
		return nil, handshakeError(dctx, t, addr, err)
	}
	_ = conn.SetDeadline(time.Time{})

	h := &Host{
		t:             t,
		client:        ssh.NewClient(c, chans, reqs),
		dockerSocket:  "/var/run/docker.sock",
		dialStdioCmd:  "sudo -n docker system dial-stdio",
		stopKeepAlive: make(chan struct{}),
	}
	go h.keepAlive(keepAliveInterval, keepAliveTimeout)
	return h, nil
}

// handshakeError classifies a failed SSH handshake.
func handshakeError(ctx context.Context, t Target, addr string, err error) error {
	var hkErr *HostKeyError
	if errors.As(err, &hkErr) {
		return hkErr
	}
	var fileErr *knownHostsFileError
	if errors.As(err, &fileErr) {
		return fileErr
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unable to authenticate"):
		hint := "check that the key is in ~" + t.User + "/.ssh/authorized_keys on the host"
		if t.KeyFile == "" {
			hint = "check that ssh-agent holds a key that is in ~" + t.User + "/.ssh/authorized_keys on the host"
		}
		return &AuthError{Host: t.Name, Address: addr, User: t.User, Err: err, Hint: hint}
	case strings.Contains(msg, "no common algorithm for host key"):
		return &DialError{Host: t.Name, Address: addr, Err: err,
			Hint: "the host offers none of the key types recorded for it in " + t.KnownHosts + "; its host keys may have changed"}
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return &DialError{Host: t.Name, Address: addr, Err: fmt.Errorf("SSH handshake interrupted: %w", ctx.Err())}
	}
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &DialError{Host: t.Name, Address: addr, Err: fmt.Errorf("SSH handshake: %w", err),
			Hint: fmt.Sprintf("the host accepted TCP but did not complete the SSH handshake within %s (frozen or overloaded?)", t.DialTimeout)}
	}
	return &DialError{Host: t.Name, Address: addr, Err: fmt.Errorf("SSH handshake: %w", err)}
}

// DialAll dials every target in parallel. It returns the hosts that
// connected, keyed by name, and an error joining every failure (each naming
// its host), or nil when all connected.
func DialAll(ctx context.Context, ts []Target) (map[string]*Host, error) {
	type result struct {
		h   *Host
		err error
	}
	results := make([]result, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Go(func() {
			h, err := Dial(ctx, t)
			results[i] = result{h, err}
		})
	}
	wg.Wait()

	hosts := make(map[string]*Host, len(ts))
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if _, dup := hosts[r.h.Name()]; dup {
			errs = append(errs, fmt.Errorf("%s: two targets have this name", r.h.Name()))
			r.h.Close()
			continue
		}
		hosts[r.h.Name()] = r.h
	}
	return hosts, errors.Join(errs...)
}

// Close closes the Docker client (if any) and the SSH connection.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		close(h.stopKeepAlive)
		h.mu.Lock()
		if h.docker != nil {
			_ = h.docker.Close()
			h.docker = nil
		}
		h.mu.Unlock()
		h.closeErr = h.client.Close()
	})
	return h.closeErr
}

// expandHome replaces a leading "~/" with the user's home directory.
func expandHome(p string) string {
	if !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[2:])
}
