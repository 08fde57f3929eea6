package host

import "time"

// A connection to a host that freezes after the handshake would otherwise
// hang every later call (and the Docker client) until its context ends.
// keepAlive asks the server for a reply every interval, as OpenSSH's
// ServerAliveInterval does, and closes the connection when none comes within
// timeout; pending calls then fail at once. Variables so tests can shorten
// them.
var (
	keepAliveInterval = 15 * time.Second
	keepAliveTimeout  = 15 * time.Second
)

func (h *Host) keepAlive(interval, timeout time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-h.stopKeepAlive:
			return
		case <-tick.C:
		}
		replied := make(chan error, 1)
		go func() {
			// Any reply, even a refusal, proves the server is alive.
			_, _, err := h.client.SendRequest("keepalive@openssh.com", true, nil)
			replied <- err
		}()
		select {
		case <-h.stopKeepAlive:
			return
		case err := <-replied:
			if err != nil {
				return // connection already gone
			}
		case <-time.After(timeout):
			_ = h.client.Close()
			return
		}
	}
}
