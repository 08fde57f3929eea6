package ingress

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// What Traefik does when a routed task's node dies. Until Traefik drops
// the task (its swarm provider re-reads tasks, and swarm itself must
// first notice the node is gone), the load balancer still picks it for
// about every other request of a two-replica service (for every request
// of a client sending one at a time: the retry takes the live replica's
// turn in the rotation). A new connection to a dead node's task gets no
// answer to its SYN on the overlay (or an unreachable error once the
// node's addresses are withdrawn); the retry below turns that into a
// second try on the next server, after at most DialTimeout. A connection
// that was already open to it (a request in flight, or the next one sent
// on an idle keep-alive connection) hangs instead: its request was
// written, so nothing can safely send it again, and the client waits for
// its own timeout. A frozen node is worse: its kernel still completes
// handshakes, so every request sent to it hangs. Only a health check
// (declared by the app, see README) takes such a server out before
// Traefik's next refresh of the task list.

// RetryMiddleware is the retry middleware's name in the file provider's
// dynamic configuration; entry points name it with its provider
// (RetryMiddleware + "@file").
const RetryMiddleware = "skep-retry"

// Traefik's retry middleware (pkg/middlewares/retry in Traefik v3.6)
// sends a request again only while nothing of it has reached a server:
// it stops retrying as soon as the transport has written the request's
// headers, whatever the method and whatever the server answered, 5xx
// included. So a POST is resent only when no server got any of it (the
// connection never opened), which is as safe for it as for a GET: no
// request is ever executed twice because of the retry. The other side of
// that rule: a request written to a server that then dies is never
// retried, idempotent or not.
//
// Each try goes through the load balancer again, so with two replicas the
// second try goes to the other one. Three tries cover two dead servers,
// or the load balancer's rotation handing the dead one to a retry while
// other requests interleave; each failed try costs at most DialTimeout
// (a refused connection costs nothing), so three tries plus the two waits
// between them (100 ms, then 140 ms, each with jitter of up to half:
// Traefik grows the wait to at most twice the first over all the tries)
// end within about 3.5 s, under the 5 s goal. The
// short backoff leaves a task that is being restarted a moment before the
// last try; more would only delay the answer a client gets when every
// server is down.
const (
	retryAttempts        = 3
	retryInitialInterval = 100 * time.Millisecond
)

// DialTimeout bounds how long Traefik waits for a connection to a server
// (serversTransport.forwardingTimeouts.dialTimeout; Traefik's default is
// 30 s). The servers are tasks on the cluster's own overlay network, which
// answers a SYN within milliseconds; a second without an answer means the
// task's node is dead or cut off, and the retry then tries another server.
// A SYN lost on a live path (the kernel would resend it after its 1 s
// initial timeout) costs one try, which the retry absorbs.
//
// No responseHeaderTimeout is set: Traefik's transport is shared by every
// routed service, and any bound would cut an app's legitimately slow
// answers (long polls, reports, uploads being processed), while it would
// save nothing: a request whose answer never comes has been written, so
// it is not retried; the timeout would only turn the client's wait into a
// 504. Apps cannot set a transport of their own through service labels.
const DialTimeout = time.Second

// DefaultsConfigPrefix starts the names of every version of the swarm
// config holding DefaultsConfig.
const DefaultsConfigPrefix = "skep-traefik-defaults-"

// DefaultsConfig is the dynamic configuration (file provider) every
// Traefik of skep reads, with or without the controller: the middlewares
// the entry points apply to every router. It must load wherever the static
// configuration names them: a router whose middleware does not exist is
// not served at all.
func DefaultsConfig() []byte {
	return []byte(fmt.Sprintf(`# Middlewares skep's entry points apply to every router (skep apply).
http:
  middlewares:
    %s:
      retry:
        attempts: %d
        initialInterval: %s
`, RetryMiddleware, retryAttempts, retryInitialInterval))
}

// DefaultsConfigName names the swarm config holding DefaultsConfig by its
// content: swarm configs cannot change, so a new content is a new config.
func DefaultsConfigName() string {
	sum := sha256.Sum256(DefaultsConfig())
	return DefaultsConfigPrefix + hex.EncodeToString(sum[:])[:12]
}
