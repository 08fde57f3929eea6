package host

import (
	"context"
	"fmt"
	"net"
)

// DialTCP opens a TCP connection from the host to addr (as the host sees
// it, e.g. 127.0.0.1:8082 for a port published on the host itself),
// carried over the SSH connection: skep checks a host's local services
// without any port being reachable from where skep runs.
func (h *Host) DialTCP(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := h.client.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: connect to %s through SSH: %w (does sshd allow AllowTcpForwarding?)", h.Name(), addr, err)
	}
	return conn, nil
}
