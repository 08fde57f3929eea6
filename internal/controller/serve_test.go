package controller

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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

func served(t *testing.T, h *handler) servedConfig {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + TraefikPath)
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

func TestServeTraefikConfigAndChallenges(t *testing.T) {
	h := &handler{chal: &challenges{}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(TraefikPath); code != http.StatusServiceUnavailable {
		t.Fatalf("before the first publish: %d, want 503 (Traefik keeps its last configuration)", code)
	}

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
