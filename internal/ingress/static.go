package ingress

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Traefik's static configuration is one YAML file, not flags: the HTTP
// provider's Authorization header carries the controller's token, and a
// flag would show it in the task's argv and `docker service inspect`.
// Traefik reads exactly one static source (file, else flags, else
// environment), so the whole static configuration moves into the file.
//
// The file is a swarm secret with the engine's golang template driver: it
// holds no secret itself, only `{{ secret "skep-controller-token" }}`,
// which the engine fills in from TokenSecret when it starts a task. So apply
// renders it without ever reading the token back (swarm never returns a
// secret's data), and names each version by the hash of the template.

// StaticSecretPrefix starts the names of every version of the static
// configuration secret.
const StaticSecretPrefix = "skep-traefik-static-"

// Paths inside the Traefik container.
const (
	staticTarget = "traefik.yml" // under /run/secrets
	staticFile   = "/run/secrets/" + staticTarget
)

// TemplateDriver is the swarm template driver the static secret uses.
const TemplateDriver = "golang"

// StaticConfig is Traefik's static configuration as a swarm template.
func StaticConfig(o TraefikOptions) []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Traefik's static configuration, written by skep apply. A swarm secret")
	w("# templated by the engine: the token below is filled in from the secret")
	w("# %s when the task starts.", TokenSecret)
	w("global:")
	w("  checkNewVersion: false")
	w("  sendAnonymousUsage: false")
	w("log:")
	w("  level: INFO") // DEBUG would log the static configuration, token included
	w("  noColor: true")
	w("accessLog: {}")
	w("entryPoints:")
	w("  %s:", EntryPointWeb)
	w("    address: \":80\"")
	w("    http:")
	w("      redirections:")
	w("        entryPoint:")
	w("          to: %s", EntryPointWebSecure)
	w("          scheme: https")
	w("          permanent: true")
	w("          priority: %d", RedirectPriority)
	// Port 80 proxies too: the controller's HTTP-01 challenge router.
	w("      middlewares:")
	w("        - %s@file", RetryMiddleware)
	w("  %s:", EntryPointWebSecure)
	w("    address: \":443\"")
	w("    http:")
	w("      tls: {}")
	w("      middlewares:")
	w("        - %s@file", RetryMiddleware)
	w("  %s:", EntryPointPing)
	w("    address: \":%d\"", PingPort)
	if o.API {
		w("  %s:", EntryPointAPI)
		w("    address: \":%d\"", o.APIPort)
		w("    http:")
		w("      tls: {}")
	}
	w("ping:")
	w("  entryPoint: %s", EntryPointPing)
	w("serversTransport:")
	w("  forwardingTimeouts:")
	w("    dialTimeout: %s", DialTimeout)
	if o.API {
		w("api:")
		w("  dashboard: false")
	}
	w("providers:")
	w("  swarm:")
	w("    endpoint: tcp://%s:%d", ProxyService, ProxyPort)
	w("    exposedByDefault: false")
	w("    network: %s", PublicNetwork)
	// Traefik reads a duration here (a bare number would be seconds).
	w("    refreshSeconds: %s", o.refresh())
	w("  http:")
	w("    endpoint: %s", ControllerConfigURL)
	w("    pollInterval: 5s")
	w("    pollTimeout: 3s")
	w("    headers:")
	w("      Authorization: Bearer {{ secret %q }}", TokenSecret)
	// Always there: the entry points' middlewares live in it.
	w("  file:")
	w("    directory: %s", dynamicDir)
	return []byte(b.String())
}

// StaticSecretName names the static configuration's secret by its content:
// secrets cannot change, so a new content is a new secret.
func StaticSecretName(o TraefikOptions) string {
	sum := sha256.Sum256(StaticConfig(o))
	return StaticSecretPrefix + hex.EncodeToString(sum[:])[:12]
}

// NewToken is a new bearer token for Traefik to present to the controller:
// 256 random bits, hex-encoded (no character a header or YAML would mangle).
func NewToken() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return []byte(hex.EncodeToString(b)), nil
}
