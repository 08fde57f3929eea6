//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// badInput feeds broken variants of the lab's own cluster file to plan and
// apply: each must exit 2 naming the YAML path, and no node may change.
func badInput(t *testing.T, clusterFile string) {
	good, err := os.ReadFile(clusterFile)
	if err != nil {
		t.Fatal(err)
	}
	text := string(good)
	dir := t.TempDir()
	cases := []struct {
		name, edit, wantPath string
	}{
		{"unknown field", strings.Replace(text, "  - name: node2", "  - name: node2\n    adress: 127.0.0.9", 1), "hosts[1].adress"},
		{"duplicate name", strings.Replace(text, "name: node2", "name: node1", 1), "hosts[1].name"},
		{"duplicate address", replaceSecondAddress(text), "hosts[1].address"},
		{"bad address", replaceNth(text, "address: ", "address: 300.1.2.", 2), "hosts[2].address"},
		{"bad port", strings.Replace(text, "  port: 22", "  port: 70000", 1), "ssh.port"},
		{"even managers", replaceNth(text, "role: manager", "role: worker", 2), "hosts"},
		{"missing key file", strings.Replace(text, "id_ed25519", "no_such_key", 1), "ssh.key_file"},
	}
	before := containerStates(t)
	for _, c := range cases {
		if c.edit == text {
			t.Fatalf("%s: the edit did not apply to the cluster file:\n%s", c.name, text)
		}
		f := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
		os.WriteFile(f, []byte(c.edit), 0o600)
		for _, verb := range []string{"apply", "plan"} {
			r := skep(t, 20*time.Second, verb, "-f", f)
			if r.code != 2 {
				t.Errorf("%s %s: exit %d, want 2\n%s%s", verb, c.name, r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, c.wantPath) || !strings.Contains(r.stderr, "line ") {
				t.Errorf("%s %s: error does not name %s with its line:\n%s", verb, c.name, c.wantPath, r.stderr)
			}
			if r.elapsed > 5*time.Second {
				t.Errorf("%s %s took %s: was a host contacted?", verb, c.name, r.elapsed)
			}
		}
	}
	if after := containerStates(t); after != before {
		t.Fatalf("lab containers changed:\nbefore %s\nafter  %s", before, after)
	}
}

func replaceNth(s, old, repl string, n int) string {
	idx := -1
	for i := 0; i <= n; i++ {
		j := strings.Index(s[idx+1:], old)
		if j < 0 {
			return s
		}
		idx += j + 1
	}
	return s[:idx] + repl + s[idx+len(old):]
}

// replaceSecondAddress gives node2 node1's address.
func replaceSecondAddress(s string) string {
	lines := strings.Split(s, "\n")
	var first string
	seen := 0
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "address:") {
			seen++
			if seen == 1 {
				first = l
			} else if seen == 2 {
				lines[i] = first
			}
		}
	}
	return strings.Join(lines, "\n")
}

// containerStates fingerprints the lab's containers and each inner engine's
// start time and swarm node list.
func containerStates(t *testing.T) string {
	t.Helper()
	s := docker(t, "ps", "-a", "--filter", "label=skep.lab="+labName, "--format", "{{.Names}} {{.ID}} {{.Status}}")
	// Status contains "Up N minutes", which moves with time; keep names and IDs.
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 {
			b.WriteString(f[0] + ":" + f[1] + " ")
		}
	}
	return b.String() + engineStarts(t) + docker(t, "exec", labName+"-node1", "docker", "node", "ls", "-q")
}
