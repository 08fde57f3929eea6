//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// counterImage is the name examples/counter/compose.yaml runs.
const counterImage = "skep-examples/counter:1"

// buildCounter builds the counter example as its README says (a static
// binary, then docker build from scratch: no registry needed) on the
// machine running skep.
func buildCounter(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "counter"), "../../examples/counter")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the counter: %v\n%s", err, out)
	}
	df, err := os.ReadFile("../../examples/counter/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644); err != nil {
		t.Fatal(err)
	}
	docker(t, "build", "-q", "-t", counterImage, dir)
}

// taskRow is `skep stack ps --output json`, as far as these tests read it.
type taskRow struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Node         string `json:"node"`
	DesiredState string `json:"desired_state"`
	CurrentState string `json:"current_state"`
	Error        string `json:"error"`
}

// runningTasks maps a stack's running tasks' names to their IDs and nodes.
func runningTasks(t *testing.T, stack string) map[string]taskRow {
	t.Helper()
	r := mustSkep(t, time.Minute, "stack", "ps", "--lab", labName, "--output", "json", stack)
	var rows []taskRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("stack ps: %v\n%s", err, r.stdout)
	}
	out := map[string]taskRow{}
	for _, row := range rows {
		if row.DesiredState == "running" && strings.HasPrefix(row.CurrentState, "running") {
			out[row.Name] = row
		}
	}
	return out
}

// countRe reads the counter's answer, "count N from HOST".
var countRe = regexp.MustCompile(`count (\d+) from (\S+)`)

func TestStack(t *testing.T) {
	l := theLab(t)
	waitHealthy(t, 3*time.Minute)
	buildCounter(t)
	t.Cleanup(func() { exec.Command("docker", "rmi", counterImage).Run() })

	t.Run("image push loads where missing, once", func(t *testing.T) {
		mustSkep(t, 5*time.Minute, "image", "push", "--lab", labName, counterImage)
		r := mustSkep(t, 2*time.Minute, "image", "push", "--lab", labName, "--output", "json", counterImage)
		var got struct {
			Images []struct{ Image, Node, Action string } `json:"images"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("image push --output json: %v\n%s", err, r.stdout)
		}
		if len(got.Images) != 4 {
			t.Fatalf("second push reported %d nodes, want the lab's 4:\n%s", len(got.Images), r.stdout)
		}
		for _, p := range got.Images {
			if p.Action != "present" {
				t.Fatalf("second push: %s on %s was %s, want present", p.Image, p.Node, p.Action)
			}
		}
	})

	t.Run("bad input refused before any change", func(t *testing.T) {
		stackBadInput(t)
	})

	t.Run("stateful counter over HTTPS survives its node", func(t *testing.T) {
		statefulCounter(t, l)
	})

	t.Run("redeploy converges: unchanged restarts nothing", func(t *testing.T) {
		stackConverges(t)
	})
	waitHealthy(t, 3*time.Minute)
}

// deployArgs is `skep stack deploy` on the lab.
func deployArgs(name string, files ...string) []string {
	args := []string{"stack", "deploy", "--lab", labName}
	for _, f := range files {
		args = append(args, "-c", f)
	}
	return append(args, name)
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func stackBadInput(t *testing.T) {
	dir := t.TempDir()
	before := docker(t, "exec", labName+"-node1", "docker", "service", "ls", "--format", "{{.Name}}")

	// Line 7 holds a value of the wrong type.
	bad := writeFile(t, dir, "bad.yaml", "services:\n  web:\n    image: "+counterImage+"\n    deploy:\n      mode: replicated\n      labels: {}\n      replicas: many\n")
	r := skep(t, time.Minute, deployArgs("bad", bad)...)
	if r.code != 2 || !strings.Contains(r.stderr, bad+":7:") {
		t.Fatalf("compose error on line 7: exit %d, want 2 naming %s:7:\n%s", r.code, bad, r.stderr)
	}

	// A required variable left unset is named.
	env := writeFile(t, dir, "empty.env", "")
	r = skep(t, time.Minute, append(deployArgs("counter", "../../examples/counter/compose.yaml"), "--env-file", env)...)
	if r.code != 2 || !strings.Contains(r.stderr, "COUNTER_HOST") {
		t.Fatalf("missing COUNTER_HOST: exit %d, want 2 naming the variable:\n%s", r.code, r.stderr)
	}

	// An image no node has fails naming service, image and a node.
	nowhere := writeFile(t, dir, "nowhere.yaml", "services:\n  app:\n    image: skep-e2e/nowhere:1\n")
	r = skep(t, time.Minute, deployArgs("nowhere", nowhere)...)
	if r.code == 0 || !strings.Contains(r.stderr, "app") || !strings.Contains(r.stderr, "skep-e2e/nowhere:1") || !strings.Contains(r.stderr, "node1") {
		t.Fatalf("image on no node: exit %d, want an error naming service app, the image and node1:\n%s", r.code, r.stderr)
	}
	if after := docker(t, "exec", labName+"-node1", "docker", "service", "ls", "--format", "{{.Name}}"); after != before {
		t.Fatalf("refused deploys changed the swarm's services:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// A task that fails (no such program) ends the wait with exit 1
	// naming the service and the task's error.
	failing := writeFile(t, dir, "failing.yaml", "services:\n  broken:\n    image: "+counterImage+"\n    entrypoint: [\"/no/such/program\"]\n    deploy:\n      restart_policy: {condition: none}\n")
	t.Cleanup(func() { skep(t, time.Minute, "stack", "rm", "--lab", labName, "failing") })
	r = skep(t, 3*time.Minute, deployArgs("failing", failing)...)
	if r.code != 1 || !strings.Contains(r.stderr, "broken") || !strings.Contains(r.stderr, "no such file") {
		t.Fatalf("failing task: exit %d, want 1 naming service broken and the task's error:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// statefulCounter deploys the counter example, counts over HTTPS through
// the VIP, kills the node running it and counts on, then removes and
// deploys the stack again: the count never restarts.
func statefulCounter(t *testing.T, l labInfo) {
	host := "counter." + labName + ".lab"
	t.Setenv("COUNTER_HOST", host)
	r := mustSkep(t, 5*time.Minute, deployArgs("counter", "../../examples/counter/compose.yaml")...)
	t.Logf("deploy:\n%s", r.stdout)
	t.Cleanup(func() { skep(t, time.Minute, "stack", "rm", "--lab", labName, "counter") })
	if ls := docker(t, "exec", labName+"-node1", "docker", "stack", "ls"); !strings.Contains(ls, "counter") {
		t.Fatalf("docker stack ls on a manager does not list skep's stack:\n%s", ls)
	}

	c := verifiedTo(net.JoinHostPort(l.VIP, "443"), host, labRoots(t, l), 5*time.Second)
	firstHTTPS(t, c, host)
	count := func() (int, string, error) {
		resp, err := c.Get("https://" + host + "/")
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body := make([]byte, 512)
		n, _ := resp.Body.Read(body)
		m := countRe.FindStringSubmatch(string(body[:n]))
		if resp.StatusCode != 200 || m == nil {
			return 0, "", fmt.Errorf("answered %d: %q", resp.StatusCode, body[:n])
		}
		v, _ := strconv.Atoi(m[1])
		return v, m[2], nil
	}
	var last int
	for i := 0; i < 5; i++ {
		v, _, err := count()
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && v != last+1 {
			t.Fatalf("count went from %d to %d", last, v)
		}
		last = v
	}

	tasks := runningTasks(t, "counter")
	if len(tasks) != 1 {
		t.Fatalf("counter runs %d tasks, want 1: %v", len(tasks), tasks)
	}
	var victim string
	for _, task := range tasks {
		victim = task.Node
	}
	restart := inflict(t, "kill", "start", victim)
	killed := time.Now()
	var after int
	var served string
	eventually(t, 4*time.Minute, "the counter answering again after its node died", func() (bool, string) {
		v, from, err := count()
		if err != nil {
			return false, err.Error()
		}
		after, served = v, from
		return true, ""
	})
	t.Logf("counter: node %s killed at count %d; answered again from %s after %.1fs", victim, last, served, time.Since(killed).Seconds())
	if after != last+1 {
		t.Fatalf("after %s died the count was %d, want %d: an acknowledged increment was lost or counted twice", victim, after, last+1)
	}
	restart()
	waitHealthy(t, 3*time.Minute)

	r = mustSkep(t, 2*time.Minute, "stack", "rm", "--lab", labName, "counter")
	t.Logf("rm:\n%s", r.stdout)
	mustSkep(t, 5*time.Minute, deployArgs("counter", "../../examples/counter/compose.yaml")...)
	firstHTTPS(t, c, host)
	v, _, err := count()
	if err != nil {
		t.Fatal(err)
	}
	// firstHTTPS counted once more.
	if v != after+2 {
		t.Fatalf("after stack rm and deploy the count was %d, want %d: the data did not stay", v, after+2)
	}
}

// stackConverges deploys two services, redeploys the same file (no task
// restarts), changes one service's environment (only it restarts), then a
// config's content (its service rolls).
func stackConverges(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("WHOAMI_IMAGE", whoamiImage(t))
	greeting := writeFile(t, dir, "greeting.txt", "hello\n")
	compose := func(env string) string {
		return writeFile(t, dir, "compose.yaml", `services:
  a:
    image: ${WHOAMI_IMAGE}
    command: ["--port", "8080"]
    environment:
      MOOD: `+env+`
  b:
    image: ${WHOAMI_IMAGE}
    command: ["--port", "8080"]
    configs:
      - source: greeting
        target: /greeting.txt
configs:
  greeting:
    file: `+greeting+`
`)
	}
	t.Cleanup(func() { skep(t, time.Minute, "stack", "rm", "--lab", labName, "pair") })
	mustSkep(t, 5*time.Minute, deployArgs("pair", compose("calm"))...)
	first := runningTasks(t, "pair")
	if len(first) != 2 {
		t.Fatalf("pair runs %d tasks, want 2: %v", len(first), first)
	}

	r := mustSkep(t, 5*time.Minute, deployArgs("pair", compose("calm"))...)
	if again := runningTasks(t, "pair"); !sameTasks(first, again) {
		t.Fatalf("an unchanged redeploy restarted tasks: before %v, after %v\n%s", first, again, r.stdout)
	}

	mustSkep(t, 5*time.Minute, deployArgs("pair", compose("cheerful"))...)
	changed := runningTasks(t, "pair")
	if changed["pair_a.1"].ID == first["pair_a.1"].ID || changed["pair_b.1"].ID != first["pair_b.1"].ID {
		t.Fatalf("an environment change of a: want a's task replaced and b's kept; before %v, after %v", first, changed)
	}

	if err := os.WriteFile(greeting, []byte("good day\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustSkep(t, 5*time.Minute, deployArgs("pair", compose("cheerful"))...)
	rolled := runningTasks(t, "pair")
	if rolled["pair_b.1"].ID == changed["pair_b.1"].ID || rolled["pair_a.1"].ID != changed["pair_a.1"].ID {
		t.Fatalf("a config change of b: want b's task replaced and a's kept; before %v, after %v", changed, rolled)
	}
	configs := docker(t, "exec", labName+"-node1", "docker", "config", "ls", "--filter", "label=com.docker.stack.namespace=pair", "--format", "{{.Name}}")
	if n := len(strings.Fields(configs)); n != 1 {
		t.Fatalf("pair keeps %d configs, want only the one in use:\n%s", n, configs)
	}
}

func sameTasks(a, b map[string]taskRow) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k].ID != v.ID {
			return false
		}
	}
	return len(a) > 0
}
