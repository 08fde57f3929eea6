//go:build e2e

package e2e

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"skep/internal/config"
	"skep/internal/controller"
	"skep/internal/ingress"
	"skep/internal/storage"
	"skep/internal/vip"
)

// TestWorker runs last, on the shared lab (three managers and a worker):
// its file sorts last and Go runs tests in source order, and it changes the
// lab for good. The first status had the worker in it, healthy; the worker
// runs none of skep's node services but the node probe, and has the
// storage mount; dropped from a copy of the cluster file it is drained and
// removed by apply; then the sections are dropped one by one and their
// components go.
func TestWorker(t *testing.T) {
	if f := flag.Lookup("test.shuffle"); f != nil && f.Value.String() != "off" {
		t.Fatal("TestWorker changes the shared lab for good, so it must run last: run without -shuffle")
	}
	name := labName
	l := labNamed(t, name)
	c, err := config.Load(l.ClusterFile)
	if err != nil {
		t.Fatal(err)
	}
	workers := c.Workers()
	if len(workers) != 1 || len(c.Managers()) != 3 || c.Storage == nil {
		t.Fatalf("lab %s: %d managers, workers %v, storage %v; want 3, one worker, storage", name, len(c.Managers()), workers, c.Storage)
	}
	worker := workers[0].Name
	onWorker := func(args ...string) string {
		return docker(t, append([]string{"exec", name + "-" + worker}, args...)...)
	}
	onManager := func(args ...string) string {
		return docker(t, append([]string{"exec", name + "-" + c.FirstManager().Name}, args...)...)
	}

	t.Run("first status healthy, the worker in it", func(t *testing.T) {
		var s statusReport
		if err := json.Unmarshal([]byte(firstStatus.stdout), &s); err != nil {
			t.Fatalf("first status: %v\n%s", err, firstStatus.stdout)
		}
		if firstStatus.code != 0 || !s.Healthy {
			t.Fatalf("first status after lab up: exit %d, healthy %v, problems %q", firstStatus.code, s.Healthy, s.Problems)
		}
		if s.Swarm == nil || s.Swarm.Managers != 3 || len(s.Nodes) != 4 {
			t.Fatalf("swarm %+v, %d nodes; want 3 managers of 4 nodes", s.Swarm, len(s.Nodes))
		}
		for _, n := range s.Nodes {
			if n.Name == worker && (n.Role != "worker" || n.State != "ready") {
				t.Errorf("%s: role %s, state %s; want a ready worker", worker, n.Role, n.State)
			}
		}
	})

	t.Run("the worker runs no node service but has the storage mount", func(t *testing.T) {
		names := onWorker("docker", "ps", "--format", "{{.Names}}")
		tasks := onManager("docker", "node", "ps", worker, "--filter", "desired-state=running", "--format", "{{.Name}}")
		if !strings.Contains(tasks, "skep-node-probe") {
			t.Errorf("%s runs no task of skep-node-probe: %q", worker, tasks)
		}
		for _, n := range strings.Fields(names + "\n" + tasks) {
			for _, svc := range []string{"glusterd", "keepalived", "traefik"} {
				if strings.Contains(n, svc) {
					t.Errorf("%s runs %s (container or task %s); only managers run it", worker, svc, n)
				}
			}
		}
		if fs := onWorker("findmnt", "-rn", "-o", "FSTYPE", "--mountpoint", c.Storage.Mount); fs != "fuse.glusterfs" {
			t.Errorf("%s: %s is %q, want the GlusterFS volume mounted", worker, c.Storage.Mount, fs)
		}
	})

	t.Run("dropped from the cluster file: drained and removed", func(t *testing.T) {
		// A task on the worker, so that draining it has something to move.
		tag := strings.TrimSpace(mustSkep(t, 5*time.Minute, "lab", "whoami", "ship", "--name", name).stdout)
		onManager("docker", "service", "create", "--detach", "--quiet", "--name", "e2e-drain", "--mode", "global",
			"--no-resolve-image", tag, "--port", "8080")
		onDrainee := func() string {
			return onWorker("docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=e2e-drain")
		}
		eventually(t, 2*time.Minute, "a task of e2e-drain running on "+worker, func() (bool, string) {
			return onDrainee() != "", "none yet"
		})

		data, err := os.ReadFile(l.ClusterFile)
		if err != nil {
			t.Fatal(err)
		}
		without := filepath.Join(t.TempDir(), "cluster.yaml")
		if err := os.WriteFile(without, dropHost(t, data, worker), 0o600); err != nil {
			t.Fatal(err)
		}
		r := mustSkep(t, 10*time.Minute, "apply", "-f", without)
		if !strings.Contains(r.stdout, "remove node "+worker+" (") {
			t.Errorf("apply did not say it removes %s:\n%s", worker, r.stdout)
		}
		if ids := onDrainee(); ids != "" {
			t.Errorf("%s still runs e2e-drain's task (%s): it was not drained before it was removed", worker, ids)
		}
		hosts := strings.Fields(onManager("docker", "node", "ls", "--format", "{{.Hostname}}"))
		if slices.Contains(hosts, worker) || len(hosts) != 3 {
			t.Errorf("docker node ls after apply lists %v; want the 3 managers only", hosts)
		}
		s, sr := statusOf(t, "-f", without)
		if sr.code != 0 || !s.Healthy {
			t.Errorf("status without %s: exit %d, healthy %v, problems %q", worker, sr.code, s.Healthy, s.Problems)
		}
		if a := mustSkep(t, 3*time.Minute, "apply", "-f", without); !strings.Contains(a.stdout, "nothing to do") {
			t.Errorf("a second apply without %s did something:\n%s", worker, a.stdout)
		}
	})

	t.Run("sections removed from the file: their components go, their data stays", func(t *testing.T) {
		removeSections(t, l, c, onManager)
	})
}

// removeSections drops the acme section, then ingress and vip, then
// storage from a copy of the lab's cluster file (the worker already gone),
// applying after each: plan lists the removal first, apply runs it, what
// the component ran is gone, and its data is still on the hosts.
func removeSections(t *testing.T, l labInfo, c *config.Cluster, onManager func(...string) string) {
	data, err := os.ReadFile(l.ClusterFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range c.Workers() {
		data = dropHost(t, data, h.Name)
	}
	file := filepath.Join(t.TempDir(), "cluster.yaml")
	first := c.FirstManager().Name
	// A file on the user volume, and the controller's ACME account, must
	// both outlive their components.
	onManager("sh", "-c", "echo kept > "+c.Storage.Mount+"/e2e-kept")
	stateFiles := onManager("sh", "-c", "ls -A "+c.ControllerStateDir()+" | wc -l")
	if stateFiles == "0" {
		t.Fatalf("no ACME state in %s before the removal", c.ControllerStateDir())
	}

	drop := func(keys ...string) {
		t.Helper()
		data = dropKeys(t, data, keys...)
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		plan := stepsOf(t, mustSkep(t, 3*time.Minute, "plan", "-f", file, "--output", "json"))
		applied := stepsOf(t, mustSkep(t, 10*time.Minute, "apply", "-f", file, "--output", "json"))
		for _, k := range keys {
			phase := "remove " + k
			if !slices.ContainsFunc(plan, func(s planStep) bool { return s.Phase == phase }) {
				t.Errorf("dropping %s: plan lists no %q step: %+v", k, phase, plan)
			}
		}
		if len(plan) != len(applied) {
			t.Errorf("dropping %v: plan listed %d steps, apply ran %d:\nplan  %+v\napply %+v", keys, len(plan), len(applied), plan, applied)
		}
		s, r := statusOf(t, "-f", file)
		if r.code != 0 || !s.Healthy {
			t.Errorf("status after dropping %v: exit %d, problems %q", keys, r.code, s.Problems)
		}
	}
	services := func() string {
		return onManager("docker", "service", "ls", "--format", "{{.Name}}")
	}

	drop("acme")
	if strings.Contains(services(), controller.ServiceName) {
		t.Errorf("acme dropped, yet the swarm runs %s:\n%s", controller.ServiceName, services())
	}
	if n := onManager("sh", "-c", "ls -A "+c.ControllerStateDir()+" | wc -l"); n != stateFiles {
		t.Errorf("the controller's state in %s had %s entries, now %s: it must be kept", c.ControllerStateDir(), stateFiles, n)
	}

	drop("ingress", "vip")
	for _, svc := range []string{ingress.TraefikService, ingress.ProxyService} {
		if strings.Contains(services(), svc) {
			t.Errorf("ingress dropped, yet the swarm runs %s", svc)
		}
	}
	if nets := onManager("docker", "network", "ls", "--format", "{{.Name}}"); strings.Contains(nets, ingress.PublicNetwork) {
		t.Errorf("ingress dropped, yet network %s exists", ingress.PublicNetwork)
	}
	for _, m := range c.Managers() {
		if ps := docker(t, "exec", l.Name+"-"+m.Name, "docker", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(ps, vip.ContainerName) {
			t.Errorf("vip dropped, yet %s has container %s", m.Name, vip.ContainerName)
		}
	}

	drop("storage")
	for _, h := range c.Managers() {
		node := l.Name + "-" + h.Name
		if ps := docker(t, "exec", node, "docker", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(ps, storage.ContainerName) {
			t.Errorf("storage dropped, yet %s has container %s", h.Name, storage.ContainerName)
		}
		if fs := docker(t, "exec", node, "sh", "-c", "findmnt -rn -o FSTYPE --mountpoint "+c.Storage.Mount+" || true"); fs != "" {
			t.Errorf("storage dropped, yet %s still mounts %s (%s)", h.Name, c.Storage.Mount, fs)
		}
	}
	if got := docker(t, "exec", l.Name+"-"+first, "cat", c.Storage.Brick+"/e2e-kept"); got != "kept" {
		t.Errorf("the volume's file in %s's brick reads %q; the data must be kept", first, got)
	}
	if a := mustSkep(t, 3*time.Minute, "apply", "-f", file); !strings.Contains(a.stdout, "nothing to do") {
		t.Errorf("a second apply after the removals did something:\n%s", a.stdout)
	}
}

// stepsOf decodes the steps of plan or apply --output json.
func stepsOf(t *testing.T, r result) []planStep {
	t.Helper()
	var doc struct {
		Steps []planStep `json:"steps"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("--output json: %v\n%s", err, r.stdout)
	}
	return doc.Steps
}

// dropKeys is a cluster file without the top-level sections keys.
func dropKeys(t *testing.T, data []byte, keys ...string) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		t.Fatalf("cluster file: %v", err)
	}
	root := doc.Content[0]
	for _, k := range keys {
		found := false
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == k {
				root.Content = slices.Delete(root.Content, i, i+2)
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("no %s section in the cluster file:\n%s", k, data)
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dropHost is a cluster file without the host named name, everything else
// (comments included) as it was.
func dropHost(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		t.Fatalf("cluster file: %v", err)
	}
	root := doc.Content[0]
	dropped := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "hosts" {
			continue
		}
		hosts := root.Content[i+1]
		hosts.Content = slices.DeleteFunc(hosts.Content, func(h *yaml.Node) bool {
			for j := 0; j+1 < len(h.Content); j += 2 {
				if h.Content[j].Value == "name" && h.Content[j+1].Value == name {
					dropped = true
					return true
				}
			}
			return false
		})
	}
	if !dropped {
		t.Fatalf("no host %s in the cluster file:\n%s", name, data)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
