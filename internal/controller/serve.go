package controller

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"skep/internal/ingress"
)

// challengePrefix is where HTTP-01 tokens are fetched (RFC 8555 8.3).
const challengePrefix = ingress.ChallengePath

// TraefikPath is where the controller serves Traefik's dynamic
// configuration: the path of the URL every Traefik polls.
var TraefikPath = func() string {
	u, err := url.Parse(ingress.ControllerConfigURL)
	if err != nil {
		panic(err)
	}
	return u.Path
}()

// challenges holds the HTTP-01 answers of orders in flight. Every Traefik
// routes challenge requests to the one controller, so answers kept in its
// memory are seen whichever node the CA's request lands on.
type challenges struct {
	mu     sync.Mutex
	tokens map[string]string
}

// Present and CleanUp make challenges a lego HTTP-01 provider.
func (c *challenges) Present(_, token, keyAuth string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil {
		c.tokens = map[string]string{}
	}
	c.tokens[token] = keyAuth
	return nil
}

func (c *challenges) CleanUp(_, token, _ string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tokens, token)
	return nil
}

func (c *challenges) get(token string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.tokens[token]
	return v, ok
}

// handler serves challenge answers to anyone who reaches it (Traefik's
// challenge router: only Traefik shares a network with the controller) and
// Traefik's configuration, every certificate's key included, only to a
// request carrying the cluster's token. Anything else is 404, a wrong or
// missing token included: nothing tells a prober what is here. The
// Traefik configuration is kept ready-made (see publish), so serving it
// never waits for an order in progress.
type handler struct {
	chal *challenges
	// auth is the hash of the one Authorization header accepted. Comparing
	// hashes in constant time reveals neither the token nor its length.
	auth    [sha256.Size]byte
	mu      sync.RWMutex
	traefik []byte
}

// minTokenLen refuses a token short enough to guess (apply makes 64 hex
// characters).
const minTokenLen = 32

func newHandler(chal *challenges, token string) (*handler, error) {
	if len(token) < minTokenLen {
		return nil, fmt.Errorf("the token is %d characters, want at least %d", len(token), minTokenLen)
	}
	return &handler{chal: chal, auth: sha256.Sum256([]byte("Bearer " + token))}, nil
}

// readToken reads the token from its secret file.
func readToken(path string) (string, error) {
	if path == "" {
		return "", errors.New("no --token-file: the controller serves certificates only to a caller with the token")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (h *handler) authorized(r *http.Request) bool {
	got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	return subtle.ConstantTimeCompare(got[:], h.auth[:]) == 1
}

func (h *handler) publish(cfg []byte) {
	h.mu.Lock()
	h.traefik = cfg
	h.mu.Unlock()
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, challengePrefix):
		token := strings.TrimPrefix(r.URL.Path, challengePrefix)
		v, ok := h.chal.get(token)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(v))
	case r.URL.Path == TraefikPath && h.authorized(r):
		h.mu.RLock()
		cfg := h.traefik
		h.mu.RUnlock()
		if cfg == nil {
			// Not ready: Traefik keeps its last configuration on an error.
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(cfg)
	default:
		http.NotFound(w, r)
	}
}

// traefikConfig is Traefik's dynamic configuration: every certificate
// (PEM inline: Traefik's certFile/keyFile take content as well as paths)
// and a router on the HTTP entry point sending HTTP-01 challenges to the
// controller, above any user router and above the redirect to HTTPS.
func traefikConfig(certs []*Certificate, selfURL, httpEP string) ([]byte, error) {
	type server struct {
		URL string `json:"url"`
	}
	type cert struct {
		CertFile string `json:"certFile"`
		KeyFile  string `json:"keyFile"`
	}
	cfg := map[string]any{
		"http": map[string]any{
			"routers": map[string]any{
				"skep-acme-challenge": map[string]any{
					"rule":        "PathPrefix(`" + challengePrefix + "`)",
					"priority":    ChallengePriority,
					"entryPoints": []string{httpEP},
					"service":     "skep-acme-challenge",
				},
			},
			"services": map[string]any{
				"skep-acme-challenge": map[string]any{
					"loadBalancer": map[string]any{"servers": []server{{URL: selfURL}}},
				},
			},
		},
	}
	if len(certs) > 0 {
		var list []cert
		for _, c := range certs {
			list = append(list, cert{CertFile: c.CertPEM, KeyFile: c.KeyPEM})
		}
		cfg["tls"] = map[string]any{"certificates": list}
	}
	return json.Marshal(cfg)
}

// ChallengePriority puts the challenge routers above every user router and
// above the HTTP-to-HTTPS redirect (ingress sets the redirect's priority
// just below), so a challenge on port 80 is answered there.
const ChallengePriority = ingress.ChallengePriority
