package stack

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

func TestRemove(t *testing.T) {
	defer quickNetworkPolls()()
	f := newFakeSwarm()
	deploy(t, f, app{mode: "a", site: "v1", worker: true}.stack(t))
	// Another stack's objects, which must stay.
	other := map[string]string{LabelNamespace: "other"}
	f.services["other_db"] = &swarm.Service{ID: "o1", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "other_db", Labels: other},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "postgres"}}}}
	f.configs["other_conf"] = swarm.Config{ID: "o2", Spec: swarm.ConfigSpec{Annotations: swarm.Annotations{Name: "other_conf", Labels: other}}}
	f.busy["app_back"] = 1 // the worker's task takes a moment to stop
	f.calls = nil

	var lines []string
	removed, err := Remove(context.Background(), f, "app", func(l string) { lines = append(lines, l) })
	if err != nil {
		t.Fatal(err)
	}
	site, token := "app_site-"+hash12("v1"), "app_token-"+hash12("s3cret")
	eq(t, "calls", f.calls, []string{"ServiceRemove app_web", "ServiceRemove app_worker", "ConfigRemove " + site, "SecretRemove " + token,
		"NetworkRemove app_back", "NetworkRemove app_back", "NetworkRemove app_front"})
	eq(t, "removed", removed, []string{"service app_web", "service app_worker", "config " + site, "secret " + token, "network app_back", "network app_front"})
	eq(t, "report", len(lines), len(removed))
	if f.services["other_db"] == nil || f.configs["other_conf"].ID == "" {
		t.Error("objects of stack other were removed")
	}

	_, err = Remove(context.Background(), f, "app", nil)
	if err == nil || err.Error() != "no stack app: the swarm's stacks are other" {
		t.Errorf("removing a stack that is gone: %v, want no stack app naming stack other", err)
	}
	_, err = Remove(context.Background(), newFakeSwarm(), "app", nil)
	if err == nil || !strings.Contains(err.Error(), "no stacks") {
		t.Errorf("removing from an empty swarm: %v, want one saying there are no stacks", err)
	}
}

func TestRemoveGoesOnPastAStuckNetwork(t *testing.T) {
	defer quickNetworkPolls()()
	f := newFakeSwarm()
	deploy(t, f, app{mode: "a", site: "v1", worker: true}.stack(t))
	f.busy["app_back"] = 1 << 30
	removed, err := Remove(context.Background(), f, "app", nil)
	if err == nil || !strings.Contains(err.Error(), "network app_back") || !strings.Contains(err.Error(), "docker network inspect app_back") {
		t.Errorf("error %v, want one naming network app_back and how to see what holds it", err)
	}
	if len(removed) != 5 || removed[len(removed)-1] != "network app_front" {
		t.Errorf("removed %q, want everything but network app_back", removed)
	}
}
