package apply

import (
	"strings"
	"testing"

	"skep/internal/config"
	"skep/internal/controller"
	skswarm "skep/internal/swarm"
)

func controllerEnv(roots []byte) (*env, controllerWant) {
	c := testCluster("manager", "manager", "manager", "worker")
	c.Ingress = &config.Ingress{}
	c.ACME = &config.ACME{Email: "ops@example.com", CAURL: config.LetsEncryptStaging}
	c.Storage = &config.Storage{}
	c.ApplyDefaults()
	e := &env{cluster: c, result: &Result{}}
	w := controllerWant{anchor: "node1", managers: []string{"node1", "node2", "node3"}, recipe: controllerRecipe(), image: "skep-skepd:c1", roots: roots}
	opts := controller.ServiceOptions{Image: w.image, CAURL: c.ACME.CAURL, Email: c.ACME.Email, StateDir: c.ControllerStateDir()}
	if roots != nil {
		w.rootsName = controller.RootsConfigName(roots)
		opts.RootsConfig = w.rootsName
	}
	w.spec = skswarm.WithHash(controller.ServiceSpec(opts))
	return e, w
}

func convergedController(w controllerWant) controllerState {
	st := controllerState{exists: true, service: w.spec.Labels[skswarm.SpecHashLabel]}
	if w.rootsName != "" {
		st.configs = []string{w.rootsName}
	}
	return st
}

func TestControllerFresh(t *testing.T) {
	e, w := controllerEnv([]byte("ROOTS"))
	st := controllerState{}
	got := actions(controllerSteps(e, st, w))
	want := strings.Join([]string{
		"node1: create swarm config " + w.rootsName + " (roots of the ACME CA's endpoint)",
		"node1: create service skep-controller",
	}, "\n")
	if got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	for _, s := range controllerSteps(e, st, w) {
		if s.Reason == "" || strings.Contains(s.Reason, "ingress needs") {
			t.Errorf("step %q has reason %q", s.Action, s.Reason)
		}
	}
}

func TestControllerConvergedIsEmpty(t *testing.T) {
	for _, roots := range [][]byte{nil, []byte("ROOTS")} {
		e, w := controllerEnv(roots)
		if got := actions(controllerSteps(e, convergedController(w), w)); got != "" {
			t.Errorf("roots=%q: converged controller planned:\n%s", roots, got)
		}
	}
}

// New roots (the lab CA was made anew) are a new config, the service moves
// to it, and then the old config goes.
func TestControllerNewRoots(t *testing.T) {
	e, old := controllerEnv([]byte("OLD"))
	_, w := controllerEnv([]byte("NEW"))
	got := actions(controllerSteps(e, convergedController(old), w))
	want := strings.Join([]string{
		"node1: create swarm config " + w.rootsName + " (roots of the ACME CA's endpoint)",
		"node1: update service skep-controller",
		"node1: remove swarm config " + old.rootsName,
	}, "\n")
	if got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestControllerSpec(t *testing.T) {
	s := controller.ServiceSpec(controller.ServiceOptions{Image: "i", CAURL: "https://ca/dir", Email: "a@x.org",
		Names: []string{"a.x.org", "b.x.org"}, RootsConfig: "skep-acme-roots-1", StateDir: "/srv/skep/controller"})
	if *s.Mode.Replicated.Replicas != 1 || s.EndpointSpec.Mode != "dnsrr" || s.Name != "skep-controller" {
		t.Fatalf("spec %+v", s)
	}
	args := strings.Join(s.TaskTemplate.ContainerSpec.Args, " ")
	if args != "--state-dir /srv/skep/controller --ca-url https://ca/dir --email a@x.org --names a.x.org,b.x.org --token-file /run/secrets/skep-controller-token --ca-roots /etc/skep/acme-roots.pem" {
		t.Fatalf("args %s", args)
	}
	m := s.TaskTemplate.ContainerSpec.Mounts
	if len(m) != 1 || m[0].Source != "/srv/skep/controller" || m[0].Target != "/srv/skep/controller" {
		t.Fatalf("mounts %+v", m)
	}
	if s.TaskTemplate.Placement.Constraints[0] != "node.role==manager" || len(s.TaskTemplate.Networks) != 3 {
		t.Fatalf("placement/networks %+v %+v", s.TaskTemplate.Placement, s.TaskTemplate.Networks)
	}
	for _, mnt := range m {
		if mnt.Source == "/var/run/docker.sock" {
			t.Fatal("the controller must not get the Docker socket")
		}
	}
}
