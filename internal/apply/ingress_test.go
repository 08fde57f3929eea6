package apply

import (
	"strings"
	"testing"

	"skep/internal/config"
	"skep/internal/ingress"
	skswarm "skep/internal/swarm"
)

func ingressEnv(api bool, image string) (*env, ingressWant) {
	c := testCluster("manager", "manager", "manager", "worker")
	c.Ingress = &config.Ingress{API: api, APIPort: 8080, Image: image}
	e := &env{cluster: c, result: &Result{}}
	w := ingressWant{anchor: "node1", managers: []string{"node1", "node2", "node3"}, api: api, apiPort: 8080,
		proxy: ingress.ProxyRecipe(), proxyImage: "skep-socket-proxy:p1", traefikImage: image}
	if image == "" {
		w.traefik, w.traefikImage = ingress.TraefikRecipe(), "skep-traefik:t1"
	}
	return e, w
}

// convergedIngress is the state right after an apply of w.
func convergedIngress(w ingressWant) ingressState {
	st := ingressState{networks: allNetworks(),
		services: map[string]string{
			ingress.ProxyService:   skswarm.WithHash(ingress.ProxySpec(w.proxyImage)).Labels[skswarm.SpecHashLabel],
			ingress.TraefikService: skswarm.WithHash(ingress.TraefikSpec(w.traefikOptions())).Labels[skswarm.SpecHashLabel],
		},
		token: true, statics: []string{ingress.StaticSecretName(w.traefikOptions())},
		configs: []string{ingress.DefaultsConfigName()}}
	if w.api {
		st.secret = true
		st.configs = append(st.configs, ingress.APIConfigName())
	}
	return st
}

func allNetworks() map[string]bool {
	nets := map[string]bool{}
	for _, n := range ingress.Networks() {
		nets[n.Name] = true
	}
	return nets
}

func actions(steps []Step) string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Host+": "+s.Action)
	}
	return strings.Join(out, "\n")
}

func TestIngressFresh(t *testing.T) {
	e, w := ingressEnv(false, "")
	st := ingressState{networks: map[string]bool{}, services: map[string]string{}}
	got := actions(ingressSteps(e, st, w))
	want := strings.Join([]string{
		"node1: create overlay network skep-public",
		"node1: create overlay network skep-socket-proxy",
		"node1: create overlay network skep-controller",
		"node1: create overlay network skep-controller-egress",
		"node1: create service skep-socket-proxy",
		"node1: create swarm secret skep-controller-token (a new random token Traefik presents to the controller)",
		"node1: create swarm config " + ingress.DefaultsConfigName() + " (Traefik's default middlewares: retry on another server)",
		"node1: create swarm secret " + ingress.StaticSecretName(w.traefikOptions()) + " (Traefik's static configuration, a template the engine fills in with the token)",
		"node1: create service skep-traefik",
	}, "\n")
	if got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestIngressConvergedIsEmpty(t *testing.T) {
	for _, api := range []bool{false, true} {
		e, w := ingressEnv(api, "")
		if got := actions(ingressSteps(e, convergedIngress(w), w)); got != "" {
			t.Errorf("api=%v: converged ingress planned:\n%s", api, got)
		}
	}
}

func TestIngressAPIOnAndOff(t *testing.T) {
	e, off := ingressEnv(false, "")
	_, on := ingressEnv(true, "")
	got := actions(ingressSteps(e, convergedIngress(off), on))
	staticOff, staticOn := ingress.StaticSecretName(off.traefikOptions()), ingress.StaticSecretName(on.traefikOptions())
	want := "node1: create swarm secret skep-traefik-users with a new API password (handed over once, in a 0600 file)\n" +
		"node1: create swarm config " + ingress.APIConfigName() + " (Traefik API router)\n" +
		"node1: create swarm secret " + staticOn + " (Traefik's static configuration, a template the engine fills in with the token)\n" +
		"node1: update service skep-traefik\n" +
		"node1: remove swarm secret " + staticOff
	if got != want {
		t.Fatalf("API on:\n%s\nwant:\n%s", got, want)
	}
	st := convergedIngress(on)
	st.configs = append(st.configs, ingress.APIConfigPrefix+"old")
	// The API-off static secret is still there from before: nothing to
	// create, and the API-on one goes once Traefik no longer uses it.
	st.statics = append(st.statics, staticOff)
	got = actions(ingressSteps(e, st, off))
	want = "node1: update service skep-traefik\n" +
		"node1: remove swarm secret skep-traefik-users\n" +
		"node1: remove swarm config " + ingress.APIConfigName() + "\n" +
		"node1: remove swarm config " + ingress.APIConfigPrefix + "old\n" +
		"node1: remove swarm secret " + staticOn
	if got != want {
		t.Fatalf("API off:\n%s\nwant:\n%s", got, want)
	}
}

// With an image the nodes pull, nothing is built or shipped for Traefik.
func TestIngressPulledImage(t *testing.T) {
	e, w := ingressEnv(false, "traefik:v3.6.15")
	st := ingressState{networks: allNetworks(), services: map[string]string{}, token: true,
		statics: []string{ingress.StaticSecretName(w.traefikOptions())}, configs: []string{ingress.DefaultsConfigName()}}
	got := actions(ingressSteps(e, st, w))
	want := "node1: create service skep-socket-proxy\nnode1: create service skep-traefik"
	if got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(skswarm.WithHash(ingress.TraefikSpec(w.traefikOptions())).TaskTemplate.ContainerSpec.Image, "traefik:v3.6.15") {
		t.Fatal("Traefik does not run the declared image")
	}
}

// A cluster applied before Traefik had defaults (the API config alone, at
// its old place) gets the defaults file before Traefik is updated to read
// it; a defaults file of an older content goes once Traefik no longer
// uses it, and the current one stays, API on or off.
func TestIngressDefaultsConfig(t *testing.T) {
	e, w := ingressEnv(true, "")
	st := convergedIngress(w)
	st.configs = []string{ingress.APIConfigName()}
	st.services[ingress.TraefikService] = "older"
	got := actions(ingressSteps(e, st, w))
	want := "node1: create swarm config " + ingress.DefaultsConfigName() + " (Traefik's default middlewares: retry on another server)\n" +
		"node1: update service skep-traefik"
	if got != want {
		t.Fatalf("upgrade:\n%s\nwant:\n%s", got, want)
	}
	for _, api := range []bool{false, true} {
		e, w := ingressEnv(api, "")
		st := convergedIngress(w)
		st.configs = append(st.configs, ingress.DefaultsConfigPrefix+"old")
		got := actions(ingressSteps(e, st, w))
		if want := "node1: remove swarm config " + ingress.DefaultsConfigPrefix + "old"; got != want {
			t.Errorf("api=%v: older defaults:\n%s\nwant:\n%s", api, got, want)
		}
	}
}
