package controller

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type servedConfig struct {
	HTTP struct {
		Routers map[string]struct {
			Rule        string   `json:"rule"`
			Priority    int      `json:"priority"`
			EntryPoints []string `json:"entryPoints"`
			Service     string   `json:"service"`
			TLS         any      `json:"tls"`
		} `json:"routers"`
		Services map[string]struct {
			LoadBalancer struct {
				Servers []struct {
					URL string `json:"url"`
				} `json:"servers"`
			} `json:"loadBalancer"`
		} `json:"services"`
	} `json:"http"`
	TLS struct {
		Certificates []struct {
			CertFile string `json:"certFile"`
			KeyFile  string `json:"keyFile"`
		} `json:"certificates"`
	} `json:"tls"`
}

// testToken is the token the handlers of these tests accept.
const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testHandler(t *testing.T) *handler {
	t.Helper()
	h, err := newHandler(&challenges{}, testToken)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// getAs sends GET path with the given Authorization header ("" for none).
func getAs(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func served(t *testing.T, h *handler) servedConfig {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+TraefikPath, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", TraefikPath, resp.Status)
	}
	var c servedConfig
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// publishTestCertificate has h serve Traefik a configuration with one
// certificate, for a.x.org, from a test CA.
func publishTestCertificate(t *testing.T, h *handler) {
	t.Helper()
	ca := newTestCA(t)
	c, k := ca.issue(NameSet{"a.x.org"}, time.Hour)
	cert, err := parseCertificate(NameSet{"a.x.org"}, c, k, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := traefikConfig([]*Certificate{cert}, "http://skep-controller:8080", "web")
	if err != nil {
		t.Fatal(err)
	}
	h.publish(cfg)
}

func TestServeTraefikConfigAndChallenges(t *testing.T) {
	h := testHandler(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	// Challenges are open: the CA's request comes through Traefik, which
	// sends no token.
	get := func(path string) (int, string) { return getAs(t, srv.URL+path, "") }
	if code, _ := getAs(t, srv.URL+TraefikPath, "Bearer "+testToken); code != http.StatusServiceUnavailable {
		t.Fatalf("before the first publish: %d, want 503 (Traefik keeps its last configuration)", code)
	}

	publishTestCertificate(t, h)
	got := served(t, h)
	if len(got.TLS.Certificates) != 1 || !strings.HasPrefix(got.TLS.Certificates[0].CertFile, "-----BEGIN CERTIFICATE") ||
		!strings.Contains(got.TLS.Certificates[0].KeyFile, "PRIVATE KEY") {
		t.Fatalf("tls section %+v", got.TLS)
	}
	if len(got.HTTP.Routers) != 1 {
		t.Fatalf("routers %+v, want only the challenge router", got.HTTP.Routers)
	}
	web := got.HTTP.Routers["skep-acme-challenge"]
	if web.Rule != "PathPrefix(`/.well-known/acme-challenge/`)" || web.Priority != ChallengePriority ||
		len(web.EntryPoints) != 1 || web.EntryPoints[0] != "web" || web.TLS != nil {
		t.Fatalf("HTTP challenge router %+v", web)
	}
	if s := got.HTTP.Services[web.Service].LoadBalancer.Servers; len(s) != 1 || s[0].URL != "http://skep-controller:8080" {
		t.Fatalf("challenge service %+v", s)
	}

	if code, _ := get(challengePrefix + "tok1"); code != 404 {
		t.Fatalf("unknown token: %d", code)
	}
	h.chal.Present("a.x.org", "tok1", "tok1.thumb")
	if code, body := get(challengePrefix + "tok1"); code != 200 || body != "tok1.thumb" {
		t.Fatalf("token: %d %q", code, body)
	}
	h.chal.CleanUp("a.x.org", "tok1", "tok1.thumb")
	if code, _ := get(challengePrefix + "tok1"); code != 404 {
		t.Fatalf("token after clean-up: %d", code)
	}
}

// Traefik's configuration holds every key: without the exact token, and
// on every other path, the answer is a plain 404 that reveals nothing.
func TestServeRefusesWithoutToken(t *testing.T) {
	h := testHandler(t)
	publishTestCertificate(t, h)
	srv := httptest.NewServer(h)
	defer srv.Close()
	notFound, notFoundBody := getAs(t, srv.URL+"/no-such-path", "")
	for _, auth := range []string{"", "Bearer", "Bearer ", testToken, "Bearer " + testToken[:63], "Bearer " + testToken + "0",
		"bearer " + testToken, "Basic " + testToken, "Bearer " + strings.ToUpper(testToken)} {
		code, body := getAs(t, srv.URL+TraefikPath, auth)
		if code != http.StatusNotFound || body != notFoundBody || strings.Contains(body, "PRIVATE KEY") {
			t.Errorf("Authorization %q: %d %q, want the 404 of an unknown path (%d %q)", auth, code, body, notFound, notFoundBody)
		}
	}
	for _, path := range []string{"/", "/healthz", "/status", TraefikPath + "/", "/.well-known/", "/.well-known/acme-challenge"} {
		if code, body := getAs(t, srv.URL+path, "Bearer "+testToken); code != http.StatusNotFound || strings.Contains(body, "PRIVATE KEY") {
			t.Errorf("%s: %d %q, want 404", path, code, body)
		}
	}
	if code, body := getAs(t, srv.URL+TraefikPath, "Bearer "+testToken); code != 200 || !strings.Contains(body, "PRIVATE KEY") {
		t.Fatalf("with the token: %d", code)
	}
}

func TestTokenRequired(t *testing.T) {
	if _, err := newHandler(&challenges{}, "short"); err == nil {
		t.Fatal("a short token was accepted")
	}
	if _, err := readToken(""); err == nil {
		t.Fatal("no token file accepted")
	}
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(testToken+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if tok, err := readToken(path); err != nil || tok != testToken {
		t.Fatalf("read %q %v", tok, err)
	}
}
