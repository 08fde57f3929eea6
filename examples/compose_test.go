package examples

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"skep/internal/stack"
)

// noDotEnv is an empty --env-file, so a .env a user made beside an
// example does not change what the tests see.
func noDotEnv(t *testing.T) []string {
	f := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{f}
}

// deploy loads and converts an example's compose file as skep stack deploy
// does, on a cluster with shared storage at /var/data.
func deploy(t *testing.T, name, file string, environ ...string) *stack.Stack {
	t.Helper()
	loaded, err := stack.Load(context.Background(), stack.LoadOptions{
		Files: []string{file}, EnvFiles: noDotEnv(t), Name: name, Environ: environ})
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	if len(loaded.Warnings) > 0 {
		t.Errorf("%s: swarm would ignore: %v", file, loaded.Warnings)
	}
	st, err := stack.Convert(loaded.Project, stack.ConvertOptions{
		Name: name, StorageMount: "/var/data", IPVS: true, PublicNetwork: "skep-public"})
	if err != nil {
		t.Fatalf("convert %s: %v", file, err)
	}
	return st
}

func service(t *testing.T, st *stack.Stack, name string) swarm.ServiceSpec {
	t.Helper()
	for _, s := range st.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %s in %v", name, st.Services)
	return swarm.ServiceSpec{}
}

func targets(s swarm.ServiceSpec) []string {
	var out []string
	for _, n := range s.TaskTemplate.Networks {
		out = append(out, n.Target)
	}
	return out
}

// routed checks the labels skep's Traefik needs: its entry point is
// websecure and there is no certresolver (the controller brings certificates).
func routed(t *testing.T, s swarm.ServiceSpec, router, host string) {
	t.Helper()
	want := map[string]string{
		"traefik.enable": "true",
		"traefik.http.routers." + router + ".rule":                      "Host(`" + host + "`)",
		"traefik.http.routers." + router + ".entrypoints":               "websecure",
		"traefik.http.routers." + router + ".tls":                       "true",
		"traefik.http.services." + router + ".loadbalancer.server.port": "8080",
	}
	for k, v := range want {
		if s.Labels[k] != v {
			t.Errorf("%s: label %s = %q, want %q", s.Name, k, s.Labels[k], v)
		}
	}
	for k := range s.Labels {
		if strings.Contains(strings.ToLower(k), "certresolver") {
			t.Errorf("%s: label %s names a certificate resolver skep's Traefik does not have", s.Name, k)
		}
	}
}

func TestCounterCompose(t *testing.T) {
	st := deploy(t, "counter", "counter/compose.yaml", "COUNTER_HOST=counter.skep.lab")
	web := service(t, st, "counter_web")
	routed(t, web, "counter", "counter.skep.lab")
	if r := web.Mode.Replicated; r == nil || r.Replicas == nil || *r.Replicas != 1 {
		t.Errorf("counter_web: want exactly one replica (one writer of the count)")
	}
	if web.UpdateConfig == nil || web.UpdateConfig.Order != swarm.UpdateOrderStopFirst {
		t.Errorf("counter_web: update order %v, want stop-first", web.UpdateConfig)
	}
	want := []mount.Mount{{Type: mount.TypeBind, Source: "/var/data/volumes/counter_data", Target: "/data"}}
	if got := web.TaskTemplate.ContainerSpec.Mounts; !slices.Equal(got, want) {
		t.Errorf("counter_web mounts %+v, want the volume on the shared storage %+v", got, want)
	}
	if !slices.Equal(st.Dirs, []string{"/var/data/volumes/counter_data"}) {
		t.Errorf("dirs %v", st.Dirs)
	}
	if h := web.TaskTemplate.ContainerSpec.Hostname; h != "{{.Node.Hostname}}" {
		t.Errorf("hostname %q", h)
	}
	// skep-public only: a task moved after a failure needs no network
	// its new node lacks (compose.yaml says why).
	if got := targets(web); !slices.Equal(got, []string{"skep-public"}) {
		t.Errorf("counter_web networks %v, want only skep-public", got)
	}
	if h := web.TaskTemplate.ContainerSpec.Healthcheck; h == nil || h.StartInterval != 500*time.Millisecond {
		t.Errorf("counter_web health check %+v, want checks every 500ms while starting", h)
	}
}

// TestCounterNeedsHost: without COUNTER_HOST the deploy stops and says
// what to set, instead of routing an empty name.
func TestCounterNeedsHost(t *testing.T) {
	_, err := stack.Load(context.Background(), stack.LoadOptions{
		Files: []string{"counter/compose.yaml"}, EnvFiles: noDotEnv(t), Name: "counter"})
	var le *stack.LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "set COUNTER_HOST") {
		t.Fatalf("err %v, want a load error asking for COUNTER_HOST", err)
	}
}

func TestNotesCompose(t *testing.T) {
	st := deploy(t, "notes", "notes/compose.yaml", "NOTES_HOST=notes.skep.lab")
	web, cache := service(t, st, "notes_web"), service(t, st, "notes_cache")
	routed(t, web, "notes", "notes.skep.lab")
	// web reaches cache by name on the stack's network; only web is routed.
	if got := targets(web); !slices.Equal(got, []string{"notes_back", "skep-public"}) {
		t.Errorf("notes_web networks %v", got)
	}
	if got := cache.TaskTemplate.Networks; len(got) != 1 || got[0].Target != "notes_back" || !slices.Contains(got[0].Aliases, "cache") {
		t.Errorf("notes_cache networks %+v, want notes_back only, with alias cache", got)
	}
	if cache.Labels["traefik.enable"] != "" {
		t.Errorf("notes_cache must not be routed")
	}
	if len(cache.EndpointSpec.Ports) > 0 || len(web.EndpointSpec.Ports) > 0 {
		t.Errorf("nothing may be published: the cache has no password")
	}
	if len(st.Networks) != 1 || st.Networks[0].Name != "notes_back" ||
		!st.Networks[0].Options.Internal || st.Networks[0].Options.Attachable {
		t.Errorf("networks %+v, want notes_back internal and not attachable", st.Networks)
	}
	want := []mount.Mount{{Type: mount.TypeBind, Source: "/var/data/volumes/notes_cache", Target: "/data"}}
	if got := cache.TaskTemplate.ContainerSpec.Mounts; !slices.Equal(got, want) {
		t.Errorf("notes_cache mounts %+v, want %+v", got, want)
	}
	if r := cache.Mode.Replicated; r == nil || r.Replicas == nil || *r.Replicas != 1 {
		t.Errorf("notes_cache: want exactly one replica")
	}
	if args := web.TaskTemplate.ContainerSpec.Args; !slices.Equal(args, []string{"-redis", "cache:6379"}) {
		t.Errorf("notes_web args %v", args)
	}
}
