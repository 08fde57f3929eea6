package controller

import (
	"slices"
	"strings"
	"testing"

	"skep/internal/ingress"
	"skep/internal/placement"
)

// The controller hands out every key: it must sit on no network an app
// can join, and get its token from a secret file, never argv or env.
func TestServiceSpecSealed(t *testing.T) {
	s := ServiceSpec(ServiceOptions{Image: "i", CAURL: "https://ca/dir", Email: "a@x.org", StateDir: "/srv/skep"})
	var nets []string
	for _, n := range s.TaskTemplate.Networks {
		nets = append(nets, n.Target)
	}
	if strings.Join(nets, " ") != "skep-controller skep-socket-proxy skep-controller-egress" {
		t.Fatalf("networks %v", nets)
	}
	c := s.TaskTemplate.ContainerSpec
	args := strings.Join(c.Args, " ")
	if !strings.Contains(args, "--token-file "+ingress.TokenFile) {
		t.Fatalf("args %s", args)
	}
	if len(c.Env) != 0 {
		t.Fatalf("env %v", c.Env)
	}
	if len(c.Secrets) != 1 || c.Secrets[0].SecretName != ingress.TokenSecret || c.Secrets[0].File.Name != ingress.TokenSecret ||
		c.Secrets[0].File.Mode != 0o400 || "/run/secrets/"+c.Secrets[0].File.Name != ingress.TokenFile {
		t.Fatalf("secrets %+v", c.Secrets)
	}
	cfg, err := parseFlags(c.Args, &strings.Builder{})
	if err != nil || cfg.TokenFile != ingress.TokenFile || cfg.SelfURL != "http://skep-controller:8080" {
		t.Fatalf("the controller reads its own spec's args as %+v (%v)", cfg, err)
	}
}

// The controller is a singleton: it runs on a manager that is not the
// swarm leader, so a leader's death does not stop it.
func TestServiceSpecAvoidsLeader(t *testing.T) {
	s := ServiceSpec(ServiceOptions{Image: "i", CAURL: "https://ca/dir", Email: "a@x.org", StateDir: "/srv/skep"})
	want := []string{"node.role==manager", "node.labels.skep.leader!=true"}
	if got := s.TaskTemplate.Placement.Constraints; !slices.Equal(got, want) || got[1] != placement.AvoidLeader {
		t.Fatalf("constraints %q, want %q", got, want)
	}
	if r := s.Mode.Replicated; r == nil || r.Replicas == nil || *r.Replicas != 1 {
		t.Fatalf("mode %+v, want one replica", s.Mode)
	}
}
