package apply

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"skep/internal/host"
)

// Old state under the user mount (shared by every host) moves once, from
// one manager, with the controller stopped; the service is then created
// anew with its new state directory.
func TestControllerMovesSharedLegacyState(t *testing.T) {
	e, w := controllerEnv(nil)
	st := convergedController(w)
	st.legacy = map[string]int64{"node1": 100, "node2": 100, "node3": 100}
	got := actions(controllerSteps(e, st, w))
	want := strings.Join([]string{
		"node1: stop service skep-controller and move the controller's state from /var/data/skep to /var/lib/skep-system/controller (copied with its modes, then the old directory removed)",
		"node1: create service skep-controller",
	}, "\n")
	if got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if r := controllerSteps(e, st, w)[0].Reason; !strings.Contains(r, "under storage.mount /var/data, which apps bind") {
		t.Errorf("reason %q", r)
	}
}

// With another storage.mount the old state lay on managers' own disks:
// the copy written last moves, the others are removed.
func TestControllerMovesLocalLegacyState(t *testing.T) {
	e, w := controllerEnv(nil)
	e.cluster.Storage.Mount = "/srv/data"
	st := controllerState{legacy: map[string]int64{"node2": 50, "node3": 200}}
	got := actions(controllerSteps(e, st, w))
	want := strings.Join([]string{
		"node3: move the controller's state from /var/data/skep to /var/lib/skep-system/controller (copied with its modes, then the old directory removed)",
		"node2: remove the stale controller state /var/data/skep (the state in use is /var/lib/skep-system/controller)",
		"node1: create service skep-controller",
	}, "\n")
	if got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
}

// The move script, run for real on directories of the test's own with a
// findmnt that says the volume is mounted: modes survive, the old place
// is emptied, and a later stale copy never overwrites the state in use.
func TestMoveStateScript(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	mounted := filepath.Join(root, "mounted")
	os.MkdirAll(bin, 0o755)
	fake := "#!/bin/sh\n[ -e " + host.ShellQuote(mounted) + " ]\n"
	if err := os.WriteFile(filepath.Join(bin, "findmnt"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	old, sys := filepath.Join(root, "data", "skep"), filepath.Join(root, "system")
	state := filepath.Join(sys, "controller")
	write := func(p, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(old, "acme", "ca1", "account.json"), "ACCOUNT")
	write(filepath.Join(old, "acme", "ca1", "certs", "a.json"), "CERT")
	write(filepath.Join(old, "status.json"), "STATUS")
	os.MkdirAll(sys, 0o700)
	run := func() error {
		cmd := exec.Command("sh", "-c", moveStateScript(old, sys, state))
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("script: %s", out)
		}
		return err
	}

	if err := run(); err == nil {
		t.Fatal("moved onto an unmounted system volume")
	}
	if _, err := os.Stat(filepath.Join(old, "acme")); err != nil || exists(state) {
		t.Fatal("a refused move changed something")
	}

	os.WriteFile(mounted, nil, 0o600)
	if err := run(); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"acme/ca1/account.json": "ACCOUNT", "acme/ca1/certs/a.json": "CERT", "status.json": "STATUS"} {
		full := filepath.Join(state, p)
		data, err := os.ReadFile(full)
		if err != nil || string(data) != want {
			t.Errorf("%s: %q %v", p, data, err)
			continue
		}
		if fi, _ := os.Stat(full); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", p, fi.Mode().Perm())
		}
	}
	for _, d := range []string{state, filepath.Join(state, "acme"), filepath.Join(state, "acme", "ca1", "certs")} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", d, fi, err)
		}
	}
	if exists(old) || exists(filepath.Join(sys, ".controller-moving")) {
		t.Error("the old directory or the scratch copy remains")
	}

	// A stale copy turns up (another manager's disk): removed, not moved.
	write(filepath.Join(old, "acme", "ca1", "account.json"), "STALE")
	if err := run(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(state, "acme", "ca1", "account.json")); string(data) != "ACCOUNT" || exists(old) {
		t.Fatalf("stale copy: account %q, old remains %v", data, exists(old))
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
