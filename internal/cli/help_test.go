package cli

import (
	"regexp"
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
