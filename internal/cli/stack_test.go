package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"skep/internal/config"
	"skep/internal/stack"
)

// runSkep runs the command tree as Main does and returns the exit code
// with what went to stdout and stderr.
func runSkep(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(t.Context())
	code := report(&errOut, err)
	return code, out.String(), errOut.String()
}

// writeCluster writes a cluster file whose hosts are loopback addresses
// on port 1, where nothing listens: a dial fails at once.
func writeCluster(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "cluster.yaml")
	yaml := "name: t\nhosts:\n"
	for i := 1; i <= 3; i++ {
		yaml += "  - name: node" + string(rune('0'+i)) + "\n    address: 127.0.0." + string(rune('0'+i)) + "\n    port: 1\n"
	}
	if err := os.WriteFile(f, []byte(yaml+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestStackCommandsAreRegisteredAndTeachByExample(t *testing.T) {
	root := NewRootCommand()
	cmd, _, err := root.Find([]string{"stack"})
	if err != nil || cmd.Name() != "stack" {
		t.Fatalf("skep stack is not registered: %v", err)
	}
	want := []string{"deploy", "logs", "ls", "ps", "rm"}
	var got []string
	for _, sub := range cmd.Commands() {
		got = append(got, sub.Name())
		if !strings.Contains(sub.Example, "skep stack "+sub.Name()) {
			t.Errorf("skep stack %s --help has no example of itself:\n%s", sub.Name(), sub.Example)
		}
		for _, flag := range []string{"file", "lab"} {
			if sub.Flags().Lookup(flag) == nil {
				t.Errorf("skep stack %s has no --%s", sub.Name(), flag)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stack subcommands %v, want %v", got, want)
	}
	for _, name := range []string{"ls", "ps", "rm", "deploy"} {
		sub, _, _ := root.Find([]string{"stack", name})
		if sub.Flags().Lookup("output") == nil || !strings.Contains(sub.Long, "--output json") {
			t.Errorf("skep stack %s: no --output, or its help does not say what json holds", name)
		}
	}
}

func TestStackDeployParsesItsFlags(t *testing.T) {
	o := &stackDeployOptions{}
	cmd := stackDeployCommand(o)
	if err := cmd.ParseFlags([]string{"-c", "a.yml", "--compose-file", "b.yml", "--env-file", "x.env", "--env-file", "y.env",
		"--detach", "--timeout", "90s", "-o", "json", "--lab", "demo"}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.files, []string{"a.yml", "b.yml"}) || !reflect.DeepEqual(o.envFiles, []string{"x.env", "y.env"}) ||
		!o.detach || o.timeout != 90*time.Second || o.output != "json" || o.src.lab != "demo" {
		t.Errorf("parsed %+v", o)
	}
	d := &stackDeployOptions{}
	if err := stackDeployCommand(d).ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	if d.timeout != stack.DefaultWaitTimeout || d.detach || d.output != "text" {
		t.Errorf("defaults %+v", d)
	}
	for _, word := range []string{"-c FILE", "--env-file", "--detach", "--timeout", "NAME"} {
		if !strings.Contains(cmd.Use, word) {
			t.Errorf("usage line %q lacks %s", cmd.Use, word)
		}
	}
}

func TestStackExitCodes(t *testing.T) {
	withStorage := writeCluster(t, "storage:\n  mount: /var/data\n")
	dir := t.TempDir()
	slashVolume := filepath.Join(dir, "compose.yml")
	if err := os.WriteFile(slashVolume, []byte("services:\n  web:\n    image: nginx\n    volumes: [\"data:/d\"]\nvolumes:\n  data:\n    name: a/b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"compose problem at its line, before any cluster", []string{"stack", "deploy", "-f", "/nonexistent", "-c", "testdata/stack/unknownkey.yml", "app"},
			ExitBadInput, "testdata/stack/unknownkey.yml:4:5: services.web.replica: unknown key"},
		{"no compose file", []string{"stack", "deploy", "app"}, ExitBadInput, "no compose file given"},
		{"no stack name", []string{"stack", "deploy", "-c", "x.yml"}, ExitBadInput, "takes NAME, got 0"},
		{"zero timeout", []string{"stack", "deploy", "-c", "x.yml", "--timeout", "0s", "app"}, ExitBadInput, "--timeout 0s"},
		{"bad duration", []string{"stack", "deploy", "-c", "x.yml", "--timeout", "soon", "app"}, ExitBadInput, "invalid argument"},
		{"conversion problem, before any host", []string{"stack", "deploy", "-f", withStorage, "-c", slashVolume, "app"},
			ExitBadInput, `cannot be a directory name`},
		{"ps without a name", []string{"stack", "ps"}, ExitBadInput, "takes NAME"},
		{"logs with three arguments", []string{"stack", "logs", "a", "b", "c"}, ExitBadInput, "takes NAME [SERVICE], got 3"},
		{"ls with an argument", []string{"stack", "ls", "x"}, ExitBadInput, "takes no argument"},
		{"unknown output", []string{"stack", "ls", "-o", "yaml"}, ExitBadInput, `--output "yaml"`},
		{"no manager answers", []string{"stack", "ls", "-f", writeCluster(t, "")}, ExitFailed, "no manager of cluster t answered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runSkep(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d saying %q", code, stderr, tc.code, tc.says)
			}
		})
	}
}

func TestStackDeployPrintsWarningsOnceBeforeContactingAnyHost(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yml")
	if err := os.WriteFile(f, []byte("services:\n  web:\n    image: nginx\n    build: .\n    depends_on: [db]\n  db:\n    image: redis\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runSkep(t, "stack", "deploy", "-f", filepath.Join(dir, "missing.yaml"), "-c", f, "-c", f, "app")
	if code != ExitBadInput {
		t.Errorf("exit %d with a missing cluster file", code)
	}
	for _, key := range []string{"build", "depends_on"} {
		if n := strings.Count(stdout, "service web: "+key+" is ignored by swarm"); n != 1 {
			t.Errorf("warning about %s printed %d times:\n%s", key, n, stdout)
		}
	}
}

func TestComposeErrorsGetOneLineEach(t *testing.T) {
	le := &stack.LoadError{Problems: []stack.Problem{
		{File: "a.yml", Line: 3, Col: 5, Path: "services.web.replica", Message: "unknown key"},
		{File: "b.yml", Line: 1, Col: 1, Path: "servics", Message: "unknown key"},
	}}
	var buf bytes.Buffer
	if code := report(&buf, composeFailure(le)); code != ExitBadInput {
		t.Errorf("exit %d, want %d", code, ExitBadInput)
	}
	want := "error: 2 problems in the compose files:\n  a.yml:3:5: services.web.replica: unknown key\n  b.yml:1:1: servics: unknown key\n"
	if !strings.HasPrefix(buf.String(), want) {
		t.Errorf("printed\n%s\nwant it to start with\n%s", buf.String(), want)
	}
	other := errors.New("load cancelled")
	if composeFailure(other) != other {
		t.Error("an error that is not about the files became bad input")
	}
}

func TestWaitFailureExitsOneAndPointsAtTheTasks(t *testing.T) {
	var buf bytes.Buffer
	err := waitFailure("app", errors.New(`web on node2: task failed: "exit 1"`))
	if code := report(&buf, err); code != ExitFailed {
		t.Errorf("exit %d, want 1", code)
	}
	for _, s := range []string{`error: stack app: web on node2: task failed: "exit 1"`, "skep stack ps app", "skep stack logs app SERVICE"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("%q not in\n%s", s, buf.String())
		}
	}
}

func TestTaskTableIsDockerStackPs(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := []stack.TaskRow{
		{ID: "abcdefghijklmnopqrstuvwxy", Name: "app_web.1", Image: "app:1", Node: "node2", DesiredState: "running", CurrentState: "running", Since: now.Add(-5 * time.Minute)},
		{ID: "zyxwvutsrqponmlkjihgfedcb", Name: "app_web.1", Image: "app:1", Node: "node1", DesiredState: "shutdown", CurrentState: "failed", Since: now.Add(-6 * time.Minute),
			Error: "task: non-zero exit (1): the disk is full, says the app"},
		{ID: "0123456789abcdef", Name: "app_db.1", Image: "redis:7", DesiredState: "running", CurrentState: "pending"},
	}
	var buf bytes.Buffer
	if err := writeTaskTable(&buf, rows, now, false); err != nil {
		t.Fatal(err)
	}
	want := "ID             NAME            IMAGE     NODE    DESIRED STATE   CURRENT STATE           ERROR\n" +
		"abcdefghijkl   app_web.1       app:1     node2   Running         Running 5 minutes ago   \n" +
		"zyxwvutsrqpo    \\_ app_web.1   app:1     node1   Shutdown        Failed 6 minutes ago    task: non-zero exit (1): the …\n" +
		"0123456789ab   app_db.1        redis:7           Running         Pending                 \n"
	if buf.String() != want {
		t.Errorf("table\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := writeTaskTable(&buf, rows, now, true); err != nil {
		t.Fatal(err)
	}
	for _, whole := range []string{rows[0].ID, rows[1].Error} {
		if !strings.Contains(buf.String(), whole) {
			t.Errorf("--no-trunc cut %q:\n%s", whole, buf.String())
		}
	}
}

func TestStackListTable(t *testing.T) {
	var buf bytes.Buffer
	if err := writeStackList(&buf, []stack.Summary{{Name: "counter", Services: 1}, {Name: "notes", Services: 2}}); err != nil {
		t.Fatal(err)
	}
	want := "NAME      SERVICES\ncounter   1\nnotes     2\n"
	if buf.String() != want {
		t.Errorf("table\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestDeployJSONHasEveryListAsAnArray(t *testing.T) {
	var buf bytes.Buffer
	if err := writeDeployJSON(&buf, &stack.DeployResult{Stack: "app", Created: []string{"app_web"}}, nil, []string{"volume data kept"}, true); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"created", "updated", "unchanged", "removed", "warnings", "notes"} {
		if _, ok := got[key].([]any); !ok {
			t.Errorf("%s is %v, not an array, in %s", key, got[key], buf.String())
		}
	}
	if got["stack"] != "app" || got["running"] != true {
		t.Errorf("stack/running wrong in %s", buf.String())
	}
}

func TestRemoveSaysWhereTheDataStays(t *testing.T) {
	c := &config.Cluster{Storage: &config.Storage{Mount: "/var/data"}}
	got := removedSummary("counter", 3, keptData(c, "counter"))
	if !strings.Contains(got, "3 object(s) removed") || !strings.Contains(got, "kept (/var/data/volumes/counter_*)") {
		t.Errorf("summary %q", got)
	}
	if keptData(&config.Cluster{}, "counter") != "" {
		t.Error("data said kept on storage the cluster does not have")
	}
}
