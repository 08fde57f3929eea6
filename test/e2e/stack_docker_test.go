//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"skep/internal/apply"
)

// The two names the same file is deployed under. Neither is part of the
// other, nor hex (digests and IDs are), so replacing them in a spec
// touches only the stack's names.
const (
	eqSkep   = "eqskep"
	eqDocker = "eqdocker"
	// eqDir is the fixture: a compose file, its .env, a config's and a
	// secret's file.
	eqDir = "testdata/stack-docker"
	// eqNodeDir is where the fixture is copied on the manager that runs
	// docker stack deploy.
	eqNodeDir = "/root/stack-docker"
)

// TestStackDocker deploys one compose file with skep stack deploy and,
// under another name, with docker stack deploy on a manager, then holds
// the differences between the services' specs to README.md's list
// "Differences from docker stack deploy": each difference seen must be on
// the list, and each item on the list must be seen, so the list says what
// skep does.
func TestStackDocker(t *testing.T) {
	waitHealthy(t, 3*time.Minute)
	buildCounter(t)
	t.Cleanup(func() { exec0("docker", "rmi", counterImage) })

	t.Run("same file: specs equal but for the README's differences; docker stack ls lists skep's stack", func(t *testing.T) {
		mgr := labName + "-node1"
		services := []string{"web", "once", "plain"}
		removeEqStack(t, mgr, eqSkep)
		removeEqStack(t, mgr, eqDocker)
		t.Cleanup(func() { removeEqStack(t, mgr, eqSkep); removeEqStack(t, mgr, eqDocker) })
		mustSkep(t, 5*time.Minute, "image", "push", "--lab", labName, counterImage)

		// One stack at a time: swarm refuses a port published in ingress
		// mode (docker's) that another service publishes in host mode
		// (skep's), so skep's stack is inspected and removed first.
		r := mustSkep(t, 5*time.Minute, deployArgs(eqSkep, eqDir+"/compose.yaml")...)
		t.Logf("skep stack deploy:\n%s%s", r.stdout, r.stderr)
		ls := docker(t, "exec", mgr, "docker", "stack", "ls", "--format", "{{.Name}} {{.Services}}")
		if want := fmt.Sprintf("%s %d", eqSkep, len(services)); !strings.Contains("\n"+ls+"\n", "\n"+want+"\n") {
			t.Fatalf("docker stack ls on a manager does not list skep's stack %s with its %d services:\n%s", eqSkep, len(services), ls)
		}
		skepSpecs := inspectSpecs(t, mgr, eqSkep, services)
		removeEqStack(t, mgr, eqSkep)

		// docker reads no .env: the variables are exported from it, as a
		// user of docker stack deploy would. --resolve-image never: the
		// image is on the nodes and in no registry.
		docker(t, "cp", eqDir+"/.", mgr+":"+eqNodeDir)
		out := docker(t, "exec", "-w", eqNodeDir, mgr, "sh", "-c",
			"set -a && . ./.env && set +a && docker stack deploy --resolve-image never -c compose.yaml "+eqDocker)
		t.Logf("docker stack deploy:\n%s", out)
		dockerSpecs := inspectSpecs(t, mgr, eqDocker, services)

		var seen []difference
		for _, svc := range services {
			specDiff("", skepSpecs[svc], dockerSpecs[svc], func(path string, a, b any) {
				d := difference{service: svc, path: path, skep: a, docker: b}
				t.Logf("differs: %s", d)
				seen = append(seen, d)
			})
		}
		items := readmeDifferences(t)
		ipvs := strings.TrimSpace(docker(t, "exec", mgr, "sh", "-c", "if "+apply.IPVSTest+"; then echo yes; else echo no; fi")) == "yes"
		checkDifferences(t, seen, items, ipvs)
	})
	waitHealthy(t, 3*time.Minute)
}

// exec0 runs a command for its effect only, as cleanup does: what it
// removes may already be gone.
func exec0(name string, args ...string) {
	exec.Command(name, args...).Run()
}

// execOut is a command's output, stdout and stderr, for a condition that
// is polled: a failure is one more try, not the test's end.
func execOut(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s: %v", out, err)
	}
	return string(out)
}

// difference is one place two specs differ: the field's path (list
// indices left out, so it names a field as the README's list does) and
// the two values, for the failure message.
type difference struct {
	service, path string
	skep, docker  any
}

func (d difference) String() string {
	return fmt.Sprintf("%s %s: skep %s, docker %s", d.service, d.path, jsonText(d.skep), jsonText(d.docker))
}

func jsonText(v any) string {
	if v == nil {
		return "(absent)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// inspectSpecs is the spec of each of a stack's services (by their names
// in the file) as docker service inspect on mgr shows it, made comparable
// with the other stack's (specTree).
func inspectSpecs(t *testing.T, mgr, stack string, services []string) map[string]map[string]any {
	t.Helper()
	networks := map[string]string{}
	for _, line := range strings.Split(docker(t, "exec", mgr, "docker", "network", "ls", "--no-trunc", "--format", "{{.ID}} {{.Name}}"), "\n") {
		if id, name, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			networks[id] = name
		}
	}
	args := []string{"exec", mgr, "docker", "service", "inspect"}
	for _, svc := range services {
		args = append(args, stack+"_"+svc)
	}
	var got []swarm.Service
	if err := json.Unmarshal([]byte(docker(t, args...)), &got); err != nil || len(got) != len(services) {
		t.Fatalf("docker service inspect of stack %s: %v (%d services, want %d)", stack, err, len(got), len(services))
	}
	out := map[string]map[string]any{}
	for i, svc := range services {
		out[svc] = specTree(t, got[i], stack, networks)
	}
	return out
}

// specTree is a service's spec as JSON values, made comparable with the
// other stack's: network IDs become names, config and secret IDs go (each
// stack has objects of its own; their names are compared), and the
// stack's name becomes STACK.
func specTree(t *testing.T, s swarm.Service, stack string, networks map[string]string) map[string]any {
	t.Helper()
	spec := s.Spec
	for i, n := range spec.TaskTemplate.Networks {
		if name, ok := networks[n.Target]; ok {
			spec.TaskTemplate.Networks[i].Target = name
		}
	}
	if c := spec.TaskTemplate.ContainerSpec; c != nil {
		for _, r := range c.Configs {
			r.ConfigID = ""
		}
		for _, r := range c.Secrets {
			r.SecretID = ""
		}
	}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte(stack), []byte("STACK"))
	var tree map[string]any
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatal(err)
	}
	return tree
}

// specDiff calls found for each place a and b (JSON values) differ. Maps
// are walked key by key and lists item by item (order counts: swarm keeps
// a spec's lists as sent); an object or list one side lacks is one
// difference at its own path.
func specDiff(path string, a, b any, found func(path string, a, b any)) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			keys := map[string]bool{}
			for k := range av {
				keys[k] = true
			}
			for k := range bv {
				keys[k] = true
			}
			for _, k := range sortedKeys(keys) {
				specDiff(join(k), av[k], bv[k], found)
			}
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			for i := 0; i < max(len(av), len(bv)); i++ {
				var x, y any
				if i < len(av) {
					x = av[i]
				}
				if i < len(bv) {
					y = bv[i]
				}
				specDiff(path, x, y, found)
			}
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		found(path, a, b)
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readmeItem is one item of README.md's "Differences from docker stack
// deploy": its text and the spec fields it names (in backquotes, as
// paths: `TaskTemplate.ContainerSpec.Image`).
type readmeItem struct {
	text   string
	fields []string
}

// title is the item's words before its fields, with the fields: enough
// to find it in the README.
func (it readmeItem) title() string {
	title, _, _ := strings.Cut(it.text, " (`")
	return title + " (" + strings.Join(it.fields, ", ") + ")"
}

// fieldRe is a spec field's path in backquotes: a capitalised first
// element, then dotted ones (label keys are lower case and may hold dashes).
var fieldRe = regexp.MustCompile("`([A-Z][A-Za-z]*(?:\\.[A-Za-z0-9-]+)+)`")

const readmeHeading = "### Differences from docker stack deploy"

// readmeDifferences reads the list under readmeHeading: items start with
// "- " and go on in indented lines; the list ends at the next heading or
// unindented paragraph.
func readmeDifferences(t *testing.T) []readmeItem {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n"+readmeHeading+"\n")
	if !ok {
		t.Fatalf("README.md has no heading %q", readmeHeading)
	}
	var items []readmeItem
list:
	for _, line := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			break list
		case strings.HasPrefix(line, "- "):
			items = append(items, readmeItem{text: line[2:]})
		case strings.TrimSpace(line) == "":
		case len(items) > 0 && strings.HasPrefix(line, "  "):
			items[len(items)-1].text += " " + strings.TrimSpace(line)
		case len(items) > 0:
			// A paragraph after the list ends it; one before it is its
			// introduction.
			break list
		}
	}
	for i := range items {
		for _, m := range fieldRe.FindAllStringSubmatch(items[i].text, -1) {
			items[i].fields = append(items[i].fields, m[1])
		}
		if len(items[i].fields) == 0 {
			t.Fatalf("README.md %q: item names no spec field: %s", readmeHeading, items[i].text)
		}
	}
	if len(items) == 0 {
		t.Fatalf("README.md %q lists nothing", readmeHeading)
	}
	return items
}

// checkDifferences holds what was seen to the README's list: every
// difference seen is a field some item names, and every item is seen. An
// item about the endpoint (dnsrr without IPVS) is not expected where the
// kernel has IPVS.
func checkDifferences(t *testing.T, seen []difference, items []readmeItem, ipvs bool) {
	t.Helper()
	covered := make([]int, len(items))
	for _, d := range seen {
		found := false
		for i, it := range items {
			for _, f := range it.fields {
				if f == d.path {
					covered[i]++
					found = true
				}
			}
		}
		if !found {
			t.Errorf("a difference from docker stack deploy that README.md's list does not name: %s", d)
		}
	}
	for i, it := range items {
		endpoint := true
		for _, f := range it.fields {
			endpoint = endpoint && strings.HasPrefix(f, "EndpointSpec.")
		}
		switch {
		case covered[i] == 0 && !(ipvs && endpoint):
			t.Errorf("README.md lists a difference from docker stack deploy that was not seen: %s", it.title())
		case covered[i] > 0 && ipvs && endpoint:
			t.Errorf("the kernel has IPVS, yet this difference was seen: %s", it.title())
		}
	}
}

// removeEqStack removes a stack and what it leaves behind: docker stack
// rm keeps volumes, skep stack rm keeps the volume's directory on the
// shared storage. It waits until the stack's services and networks are
// gone (networks go once the tasks stop), so its ports are free for the
// next stack.
func removeEqStack(t *testing.T, mgr, stack string) {
	t.Helper()
	rm := func() { exec0("docker", "exec", mgr, "docker", "stack", "rm", stack) }
	if stack == eqSkep {
		rm = func() { skep(t, 2*time.Minute, "stack", "rm", "--lab", labName, stack) }
	}
	rm()
	label := "label=com.docker.stack.namespace=" + stack
	eventually(t, 2*time.Minute, "stack "+stack+" removed", func() (bool, string) {
		out := execOut("docker", "exec", mgr, "sh", "-c",
			"docker service ls -q --filter "+label+"; docker network ls -q --filter "+label)
		if strings.TrimSpace(out) == "" {
			return true, ""
		}
		// A network still held by a stopping task is left by rm: again.
		rm()
		return false, out
	})
	c := labCluster(t)
	for _, n := range c.Hosts {
		// A volume outlives its task by a moment; one left here goes
		// with the next run's cleanup.
		exec0("docker", "exec", labName+"-"+n.Name, "sh", "-c",
			"docker volume rm -f "+stack+"_data >/dev/null 2>&1; rm -rf "+eqNodeDir)
	}
	exec0("docker", "exec", mgr, "rm", "-rf", c.Storage.Mount+"/volumes/"+stack+"_data")
}
