package ingress

import (
	"math"
	"path"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// staticRouting is the part of Traefik's static configuration that says
// where requests go and how a dead server is given up on, as Traefik's
// YAML keys name it.
type staticRouting struct {
	EntryPoints map[string]struct {
		HTTP struct {
			Middlewares []string `yaml:"middlewares"`
		} `yaml:"http"`
	} `yaml:"entryPoints"`
	ServersTransport struct {
		ForwardingTimeouts map[string]string `yaml:"forwardingTimeouts"`
	} `yaml:"serversTransport"`
	Providers struct {
		File struct {
			Directory string `yaml:"directory"`
			Filename  string `yaml:"filename"`
		} `yaml:"file"`
	} `yaml:"providers"`
}

// dynamicDefaults is DefaultsConfig as Traefik's file provider reads it.
type dynamicDefaults struct {
	HTTP struct {
		Middlewares map[string]struct {
			Retry *struct {
				Attempts        int    `yaml:"attempts"`
				InitialInterval string `yaml:"initialInterval"`
			} `yaml:"retry"`
		} `yaml:"middlewares"`
	} `yaml:"http"`
}

func TestDefaultsConfigGolden(t *testing.T) {
	golden(t, "traefik-defaults.yml", DefaultsConfig())
	if !strings.HasPrefix(DefaultsConfigName(), DefaultsConfigPrefix) || strings.HasPrefix(DefaultsConfigName(), APIConfigPrefix) {
		t.Fatal(DefaultsConfigName())
	}
}

// The entry points that proxy (web for the ACME challenge, websecure for
// the apps) retry through a middleware the defaults file defines, with or
// without the API; the ping and API entry points do not proxy to tasks
// and get none. Connections to a server give up after DialTimeout, and no
// response header timeout cuts a slow answer.
func TestRetryOnProxyingEntryPoints(t *testing.T) {
	var defaults dynamicDefaults
	if err := yaml.Unmarshal(DefaultsConfig(), &defaults); err != nil {
		t.Fatalf("defaults are not YAML: %v\n%s", err, DefaultsConfig())
	}
	for _, o := range []TraefikOptions{{}, {API: true, APIPort: 8080, APIConfig: APIConfigName()}} {
		var cfg staticRouting
		if err := yaml.Unmarshal([]byte(expandStatic(t, o)), &cfg); err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			EntryPointWeb:       {RetryMiddleware + "@file"},
			EntryPointWebSecure: {RetryMiddleware + "@file"},
			EntryPointPing:      nil,
		}
		if o.API {
			want[EntryPointAPI] = nil
		}
		if len(cfg.EntryPoints) != len(want) {
			t.Fatalf("api=%v: entry points %v", o.API, cfg.EntryPoints)
		}
		for ep, mws := range want {
			got := cfg.EntryPoints[ep].HTTP.Middlewares
			if strings.Join(got, ",") != strings.Join(mws, ",") {
				t.Errorf("api=%v: entry point %s middlewares %v, want %v", o.API, ep, got, mws)
			}
			// A router whose middleware is missing is not served: every
			// name must be defined by the file provider, which is there.
			for _, mw := range got {
				name, provider, _ := strings.Cut(mw, "@")
				if provider != "file" || defaults.HTTP.Middlewares[name].Retry == nil {
					t.Errorf("entry point %s names %s, which the defaults file does not define", ep, mw)
				}
			}
		}
		if cfg.Providers.File.Directory != dynamicDir || cfg.Providers.File.Filename != "" {
			t.Errorf("api=%v: file provider %+v", o.API, cfg.Providers.File)
		}
		ft := cfg.ServersTransport.ForwardingTimeouts
		if d, err := time.ParseDuration(ft["dialTimeout"]); err != nil || d != DialTimeout {
			t.Errorf("dialTimeout %q", ft["dialTimeout"])
		}
		if _, ok := ft["responseHeaderTimeout"]; ok || len(ft) != 1 {
			t.Errorf("forwarding timeouts %v: only the dial is bounded", ft)
		}
		// The file provider (directory mode) loads only .yml, .yaml and
		// .toml files, directly in the directory.
		for _, c := range TraefikSpec(o).TaskTemplate.ContainerSpec.Configs {
			if path.Dir(c.File.Name) != dynamicDir || path.Ext(c.File.Name) != ".yml" {
				t.Errorf("config %s at %s, which the file provider does not read", c.ConfigName, c.File.Name)
			}
		}
	}
}

// The retry gives up within the 5 s a client should wait at most for a
// service with a live replica: every try may wait DialTimeout for a dead
// server, and Traefik waits between tries up to 1.5 times (its jitter) an
// interval that grows from initialInterval to at most twice it.
func TestRetryFitsTheBound(t *testing.T) {
	var defaults dynamicDefaults
	if err := yaml.Unmarshal(DefaultsConfig(), &defaults); err != nil {
		t.Fatal(err)
	}
	r := defaults.HTTP.Middlewares[RetryMiddleware].Retry
	if r == nil || r.Attempts < 2 {
		t.Fatalf("retry %+v: a second try is what reaches the other replica", r)
	}
	first, err := time.ParseDuration(r.InitialInterval)
	if err != nil {
		t.Fatal(err)
	}
	worst := time.Duration(r.Attempts) * DialTimeout
	mult := math.Pow(2, 1/float64(r.Attempts-1))
	for i := 0; i < r.Attempts-1; i++ {
		worst += time.Duration(1.5 * float64(first) * math.Pow(mult, float64(i)))
	}
	if worst > 4*time.Second {
		t.Fatalf("a request may take %s to reach a live replica, over 4 s", worst)
	}
	t.Logf("worst case to reach a live replica: %s", worst)
}
