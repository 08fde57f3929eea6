package host

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/docker/docker/client"
)

// dialStdioMaxConns caps the Docker client's parallel connections when each
// one is an SSH session (dial-stdio): OpenSSH allows 10 sessions per
// connection by default (MaxSessions), and Exec needs some too.
const dialStdioMaxConns = 6

// Docker returns a Docker Engine API client that reaches the host's engine
// over this SSH connection. It is created once per Host, after a ping that
// proves the engine answers (and negotiates the API version); Close closes it.
//
// As root it forwards to the engine's socket (OpenSSH direct-streamlocal);
// otherwise it runs `sudo -n docker system dial-stdio` in an SSH session for
// each HTTP connection (the client keeps connections alive and reuses them).
func (h *Host) Docker(ctx context.Context) (client.APIClient, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.docker != nil {
		return h.docker, nil
	}

	tr := &http.Transport{}
	if h.t.User != "root" {
		tr.MaxConnsPerHost = dialStdioMaxConns
	}
	cli, err := client.NewClientWithOpts(
		client.WithHTTPClient(&http.Client{Transport: tr}),
		// A placeholder: dialDocker ignores it. Not unix://...: the client
		// reports some failures to reach a unix host as "Cannot connect to
		// the Docker daemon at unix:///var/run/docker.sock", hiding our cause.
		client.WithHost("http://docker"),
		client.WithDialContext(h.dialDocker),
		client.WithAPIVersionNegotiation(),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: creating Docker client: %w", h.Name(), err)
	}
	// WithHost set the proxy from the environment (HTTP_PROXY...); our
	// connections never go through a proxy.
	tr.Proxy = nil
	h.lastDockerDialErr.Store(nil)
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		// The client replaces some dial errors by a generic "Cannot connect
		// to the Docker daemon"; report the dial error itself instead.
		if last := h.lastDockerDialErr.Load(); last != nil && !strings.Contains(err.Error(), (*last).Error()) {
			return nil, fmt.Errorf("%s: Docker engine not reachable over SSH: %w", h.Name(), *last)
		}
		return nil, fmt.Errorf("%s: Docker engine not reachable over SSH: %w", h.Name(), err)
	}
	h.docker = cli
	return cli, nil
}

// dialDocker opens one connection to the engine; network and addr (the
// placeholder host) are ignored.
func (h *Host) dialDocker(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := h.dialEngine(ctx)
	if err != nil {
		h.lastDockerDialErr.Store(&err)
	}
	return conn, err
}

func (h *Host) dialEngine(ctx context.Context) (net.Conn, error) {
	if h.t.User == "root" {
		conn, err := h.client.DialContext(ctx, "unix", h.dockerSocket)
		if err != nil {
			return nil, fmt.Errorf("forwarding to %s: %w (is Docker running, and does sshd allow AllowStreamLocalForwarding?)", h.dockerSocket, err)
		}
		return conn, nil
	}
	return h.dialStdio(ctx, h.dialStdioCmd)
}
