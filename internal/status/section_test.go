package status

import (
	"strings"
	"testing"

	"skep/internal/config"
)

// A report judges the sections it is given that the file declares, and
// only those: what apply's component list hands over is what status shows.
func TestSectionsJudgedAreGivenAndDeclared(t *testing.T) {
	file := &config.Cluster{Name: "skep", Storage: &config.Storage{Volume: "v"}, VIP: &config.VIP{Address: "127.0.0.9"}}
	f := facts(up(1, true, healthyList()...), up(2, true, healthyList()...), up(3, true, healthyList()...))
	f.File = file

	f.Sections = []Section{VIPSection, IngressSection}
	r := Build(f)
	if r.Storage != nil {
		t.Error("storage judged though not among the sections given")
	}
	if r.Ingress != nil {
		t.Error("ingress judged though the file does not declare it")
	}
	if r.VIP == nil {
		t.Fatal("vip not judged though given and declared")
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "127.0.0.9") {
		t.Errorf("the vip section is not on screen:\n%s", text.String())
	}

	f.Sections = nil
	if r := Build(f); r.VIP != nil || r.Storage != nil {
		t.Error("sections judged though none were given")
	}
}
