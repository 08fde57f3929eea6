package cli

import (
	"regexp"
	"strings"
	"testing"

	"skep/internal/apply"
	"skep/internal/config"
)

// apply's help names every component of the list; status's names every
// section it can judge. A component added to the list without a word in
// the help fails here.
func TestHelpNamesEveryComponent(t *testing.T) {
	g := &globals{}
	applyHelp := NewApplyCommand(g).Long
	for _, name := range apply.ComponentNames() {
		if !regexp.MustCompile(`(?m)^  ` + name + ` `).MatchString(applyHelp) {
			t.Errorf("apply --help does not list component %q", name)
		}
	}
	full := &config.Cluster{Storage: &config.Storage{}, VIP: &config.VIP{}, Ingress: &config.Ingress{}, ACME: &config.ACME{}}
	statusHelp := NewStatusCommand(g).Long
	for _, s := range apply.StatusSections(full) {
		if !regexp.MustCompile(`\b` + s.Name + `\b`).MatchString(statusHelp) {
			t.Errorf("status --help does not name section %q", s.Name)
		}
	}
}

// rebalance's help shows the cluster file's option as it is spelled and
// defaulted there.
func TestRebalanceHelpNamesTheClusterFileOption(t *testing.T) {
	help := NewRebalanceCommand(&globals{}).Long
	for _, want := range []string{"  swarm:\n    rebalance:\n      auto: true\n      after: " + config.DefaultRebalanceAfter + "\n"} {
		if !strings.Contains(help, want) {
			t.Errorf("rebalance --help lacks\n%s", want)
		}
	}
	if !strings.Contains(config.Example(), "  rebalance:\n    auto: false\n    after: "+config.DefaultRebalanceAfter+"\n") {
		t.Error("skep init's example does not show swarm.rebalance with its default")
	}
}
