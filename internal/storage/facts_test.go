package storage

import (
	"os/exec"
	"strings"
	"testing"
)

func TestFactsScriptIsValidShell(t *testing.T) {
	c := testCluster(3)
	script := FactsScript(c, c.Hosts[0], true, true)
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	if out, err := exec.Command("sh", "-n", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s\n%s", err, out, script)
	}
	for _, want := range []string{"peer status --xml", "volume heal skep-data info summary --xml", "'/var/data'"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	if strings.Contains(FactsScript(c, c.Hosts[0], true, false), "heal") {
		t.Error("heal asked without withHeal")
	}
}
