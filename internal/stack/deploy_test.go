package stack

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
)

// app is a stack of two services: web (with a config, a secret and an
// environment variable) on network front, and worker, when present, alone
// on network back.
type app struct {
	mode, site string
	worker     bool
}

func (a app) stack(t *testing.T) *Stack {
	t.Helper()
	worker := ""
	if a.worker {
		worker = "  worker: {image: busybox, networks: [back]}\n"
	}
	yaml := fmt.Sprintf(`
services:
  web:
    image: nginx
    environment: {MODE: %s}
    configs: [{source: site, target: /etc/site.conf}]
    secrets: [token]
    networks: [front]
%sconfigs:
  site: {file: ./site.conf}
secrets:
  token: {environment: TOKEN}
networks:
  front: {}
  back: {}
`, a.mode, worker)
	p := load(t, yaml, map[string]string{"site.conf": a.site}, map[string]string{"TOKEN": "s3cret"})
	st, err := Convert(p, baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// deploy deploys st onto f and returns the result and the changes it
// asked the engine for.
func deploy(t *testing.T, f *fakeSwarm, st *Stack) (*DeployResult, []string) {
	t.Helper()
	f.calls = nil
	res, err := Deploy(context.Background(), f, st, func(string) {})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return res, f.calls
}

func TestDeployCreatesThenLeavesAlone(t *testing.T) {
	f := newFakeSwarm()
	st := app{mode: "a", site: "v1", worker: true}.stack(t)
	var lines []string
	res, err := Deploy(context.Background(), f, st, func(l string) { lines = append(lines, l) })
	if err != nil {
		t.Fatal(err)
	}
	site, token := "app_site-"+hash12("v1"), "app_token-"+hash12("s3cret")
	want := []string{"NetworkCreate app_back", "NetworkCreate app_front", "ConfigCreate " + site, "SecretCreate " + token,
		"ServiceCreate app_web", "ServiceCreate app_worker"}
	eq(t, "calls", f.calls, want)
	eq(t, "created", res.Created, []string{"app_web", "app_worker"})
	eq(t, "report", len(lines), len(want))
	if l := f.networks["app_front"].Labels[LabelNamespace]; l != "app" {
		t.Errorf("network app_front has namespace label %q, want app", l)
	}

	res, calls := deploy(t, f, app{mode: "a", site: "v1", worker: true}.stack(t))
	eq(t, "calls of an unchanged redeploy", calls, []string(nil))
	eq(t, "unchanged", res.Unchanged, []string{"app_web", "app_worker"})
	eq(t, "created, updated, removed", [][]string{res.Created, res.Updated, res.Removed}, [][]string{{}, {}, {}})
}

func TestDeployUpdatesOnlyTheChangedService(t *testing.T) {
	f := newFakeSwarm()
	deploy(t, f, app{mode: "a", site: "v1", worker: true}.stack(t))
	res, calls := deploy(t, f, app{mode: "b", site: "v1", worker: true}.stack(t))
	eq(t, "calls", calls, []string{"ServiceUpdate app_web"})
	eq(t, "updated", res.Updated, []string{"app_web"})
	eq(t, "unchanged", res.Unchanged, []string{"app_worker"})
	if env := f.services["app_web"].Spec.TaskTemplate.ContainerSpec.Env; !slices.Contains(env, "MODE=b") {
		t.Errorf("app_web runs env %v, want MODE=b", env)
	}
}

func TestDeployRemovesWhatLeftTheFile(t *testing.T) {
	defer quickNetworkPolls()()
	f := newFakeSwarm()
	deploy(t, f, app{mode: "a", site: "v1", worker: true}.stack(t))
	f.busy["app_back"] = 2 // the worker's task takes a moment to stop
	res, calls := deploy(t, f, app{mode: "a", site: "v1"}.stack(t))
	eq(t, "calls", calls, []string{"ServiceRemove app_worker", "NetworkRemove app_back", "NetworkRemove app_back", "NetworkRemove app_back"})
	eq(t, "removed", res.Removed, []string{"app_worker"})
	eq(t, "kept", res.Kept, []string(nil))
	if _, ok := f.networks["app_back"]; ok {
		t.Error("network app_back is still there")
	}
}

func TestDeployKeepsANetworkThatStaysBusy(t *testing.T) {
	defer quickNetworkPolls()()
	f := newFakeSwarm()
	deploy(t, f, app{mode: "a", site: "v1", worker: true}.stack(t))
	f.busy["app_back"] = 1 << 30
	res, _ := deploy(t, f, app{mode: "a", site: "v1"}.stack(t))
	if len(res.Kept) != 1 || !strings.Contains(res.Kept[0], "app_back") {
		t.Errorf("kept = %q, want network app_back with the reason", res.Kept)
	}
}

func TestDeployChangedConfigRollsToANewOne(t *testing.T) {
	f := newFakeSwarm()
	deploy(t, f, app{mode: "a", site: "v1"}.stack(t))
	old, fresh := "app_site-"+hash12("v1"), "app_site-"+hash12("v2")
	res, calls := deploy(t, f, app{mode: "a", site: "v2"}.stack(t))
	eq(t, "calls", calls, []string{"ConfigCreate " + fresh, "ServiceUpdate app_web", "ConfigRemove " + old})
	eq(t, "updated", res.Updated, []string{"app_web"})
	ref := f.services["app_web"].Spec.TaskTemplate.ContainerSpec.Configs[0]
	if ref.ConfigName != fresh || ref.ConfigID != f.configs[fresh].ID {
		t.Errorf("app_web refers to config %s (%s), want %s (%s)", ref.ConfigName, ref.ConfigID, fresh, f.configs[fresh].ID)
	}
}

func TestDeployChecksBeforeChanging(t *testing.T) {
	routed := `
services:
  web:
    image: nginx
    networks: [default, shared]
    configs: [corp]
    deploy: {labels: {traefik.enable: "true"}}
networks:
  shared: {external: true}
configs:
  corp: {external: true}
`
	st, err := Convert(load(t, routed, nil, nil), baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeSwarm()
	f.networks["skep-public"] = network.Summary{Name: "skep-public", ID: "pub", Scope: "swarm", Driver: "overlay"}
	// app_default is in the way: a bridge network cannot carry services.
	f.networks["app_default"] = network.Summary{Name: "app_default", ID: "br", Scope: "local", Driver: "bridge"}
	_, err = Deploy(context.Background(), f, st, nil)
	if err == nil {
		t.Fatal("deploy succeeded with external network shared missing")
	}
	for _, want := range []string{"network shared, joined by app_web", "docker network create", "network app_default exists with scope local", "driver bridge (the file says overlay)",
		"config corp, used by app_web, is external", "docker config create corp FILE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	eq(t, "calls", f.calls, []string(nil))
}

// quickNetworkPolls makes network removal retry at once; it returns the
// function that restores the intervals.
func quickNetworkPolls() func() {
	every, wait, rmWait := networkPollEvery, deployNetworkWait, removeNetworkWait
	networkPollEvery, deployNetworkWait, removeNetworkWait = time.Millisecond, 50*time.Millisecond, 50*time.Millisecond
	return func() { networkPollEvery, deployNetworkWait, removeNetworkWait = every, wait, rmWait }
}

// Right after a stack rm, a manager can still list the stack's overlay
// (its engine tears down the tasks' endpoints later) though the swarm
// holds it no more: deploy must create it again, or creating the services
// fails with "network not found".
func TestDeployRecreatesANetworkOnlyTheEngineStillLists(t *testing.T) {
	before := newFakeSwarm()
	deploy(t, before, app{mode: "a", site: "v1", worker: true}.stack(t))

	f := newFakeSwarm()
	f.lingering = []network.Summary{before.networks["app_front"], before.networks["app_back"]}
	_, calls := deploy(t, f, app{mode: "a", site: "v1", worker: true}.stack(t))
	for _, name := range []string{"app_back", "app_front"} {
		if !slices.Contains(calls, "NetworkCreate "+name) {
			t.Errorf("network %s is listed but not in the swarm: deploy did not create it; calls %v", name, calls)
		}
	}
}
