package apply

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
	"skep/internal/ingress"
)

func TestRemoveIngressNothingWhenDeclaredOrAbsent(t *testing.T) {
	e := removeEnv(false)
	e.cluster.Ingress = &config.Ingress{}
	if steps, err := planRemoveIngress(t.Context(), e); err != nil || steps != nil {
		t.Fatalf("declared ingress: %v, %v", steps, err)
	}
	if steps, err := ingressRemovalSteps(e, ingressLeft{}); err != nil || len(steps) != 0 {
		t.Fatalf("nothing left: %v, %v", actions(steps), err)
	}
}

func TestRemoveIngressOrder(t *testing.T) {
	e := removeEnv(false)
	var nets []string
	for _, n := range ingress.Networks() {
		nets = append(nets, n.Name)
	}
	l := ingressLeft{services: []string{ingress.TraefikService, ingress.ProxyService}, networks: nets,
		secrets: []string{ingress.UsersSecret, ingress.TokenSecret, ingress.StaticSecretPrefix + "abc"},
		configs: []string{ingress.DefaultsConfigPrefix + "abc", ingress.APIConfigPrefix + "def"}}
	steps, err := ingressRemovalSteps(e, l)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"node1: remove service skep-traefik",
		"node1: remove service skep-socket-proxy",
		"node1: remove overlay network skep-public",
		"node1: remove overlay network skep-socket-proxy",
		"node1: remove overlay network skep-controller",
		"node1: remove overlay network skep-controller-egress",
		"node1: remove swarm secret skep-traefik-users",
		"node1: remove swarm secret skep-controller-token",
		"node1: remove swarm secret skep-traefik-static-abc",
		"node1: remove swarm config skep-traefik-defaults-abc",
		"node1: remove swarm config skep-traefik-api-def",
	}, "\n")
	if got := actions(steps); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(steps[0].Reason, "no ingress section") {
		t.Errorf("reason %q", steps[0].Reason)
	}
}

func TestRemoveIngressRefusesAttachedServices(t *testing.T) {
	e := removeEnv(false)
	_, err := ingressRemovalSteps(e, ingressLeft{services: []string{ingress.TraefikService}, attached: []string{"blog", "shop"}})
	if err == nil || !strings.Contains(err.Error(), "blog, shop") || !strings.Contains(err.Error(), ingress.PublicNetwork) {
		t.Fatalf("err = %v", err)
	}
}

func TestAttachedTo(t *testing.T) {
	svc := func(name string, targets ...string) swarm.Service {
		s := swarm.Service{}
		s.Spec.Name = name
		for _, t := range targets {
			s.Spec.TaskTemplate.Networks = append(s.Spec.TaskTemplate.Networks, swarm.NetworkAttachmentConfig{Target: t})
		}
		return s
	}
	svcs := []swarm.Service{
		svc(ingress.TraefikService, "pubid"),          // skep's own: not an app
		svc("skep-controller", ingress.PublicNetwork), // an older controller on the public network
		svc("blog", "pubid"),                          // by ID, as the engine stores it
		svc("shop", "other", ingress.PublicNetwork),   // by name
		svc("db", "other"),
	}
	if got := strings.Join(attachedTo(svcs, ingress.PublicNetwork, "pubid"), " "); got != "blog shop" {
		t.Fatalf("attachedTo = %q, want blog shop", got)
	}
}
