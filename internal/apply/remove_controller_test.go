package apply

import (
	"strings"
	"testing"

	"skep/internal/config"
)

func TestRemoveControllerNothingWhenDeclaredOrAbsent(t *testing.T) {
	e := removeEnv(true)
	e.cluster.ACME, e.cluster.Ingress = &config.ACME{}, &config.Ingress{}
	if steps, err := planRemoveController(t.Context(), e); err != nil || steps != nil {
		t.Fatalf("declared controller: %v, %v", steps, err)
	}
	if steps := controllerRemovalSteps(e, controllerLeft{}); len(steps) != 0 {
		t.Fatalf("nothing left, yet:\n%s", actions(steps))
	}
}

func TestRemoveControllerKeepsState(t *testing.T) {
	e := removeEnv(false)
	e.cluster.Storage = &config.Storage{}
	e.cluster.ApplyDefaults()
	// Found without --remove-data too (it is not looked for then): still kept.
	steps := controllerRemovalSteps(e, controllerLeft{service: true, configs: []string{"skep-acme-roots-a"}, stateHost: "node2"})
	want := "node1: remove service skep-controller\nnode1: remove swarm config skep-acme-roots-a"
	if got := actions(steps); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if r := steps[0].Reason; !strings.Contains(r, "no acme section") || !strings.Contains(r, "stay in /var/lib/skep-system/controller") {
		t.Errorf("reason %q", r)
	}
}

func TestRemoveControllerWithData(t *testing.T) {
	e := removeEnv(true)
	e.cluster.Storage = &config.Storage{}
	e.cluster.ACME = &config.ACME{} // ingress is gone: the controller goes with it
	e.cluster.ApplyDefaults()
	steps := controllerRemovalSteps(e, controllerLeft{service: true, stateHost: "node2"})
	want := "node1: remove service skep-controller\nnode2: delete the controller's ACME account and certificates in /var/lib/skep-system/controller"
	if got := actions(steps); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if r := steps[0].Reason; !strings.Contains(r, "no ingress section") || strings.Contains(r, "stay") {
		t.Errorf("reason %q", r)
	}
	// Without storage the state goes with the volume (storage's removal).
	e.cluster.Storage = nil
	if got := actions(controllerRemovalSteps(e, controllerLeft{service: true})); got != "node1: remove service skep-controller" {
		t.Fatalf("without storage: %s", got)
	}
}
