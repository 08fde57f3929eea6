package apply

import (
	"slices"
	"strings"
	"testing"

	"skep/internal/config"
)

func phaseTitles(c *config.Cluster) []string {
	var out []string
	for _, p := range runPhases(c) {
		out = append(out, p.title)
	}
	return out
}

// The phases follow the list: always-on components, removals of what the
// file dropped (last first), one images phase, then what it declares.
func TestRunPhasesFollowTheList(t *testing.T) {
	full := &config.Cluster{Storage: &config.Storage{}, VIP: &config.VIP{}, Ingress: &config.Ingress{}, ACME: &config.ACME{}}
	got := strings.Join(phaseTitles(full), ", ")
	want := "prepare host, swarm, node labels, images, storage, system storage, vip, ingress, health, placement, controller"
	if got != want {
		t.Errorf("declared everything:\n got %s\nwant %s", got, want)
	}
	bare := &config.Cluster{}
	got = strings.Join(phaseTitles(bare), ", ")
	for _, name := range []string{"storage", "vip", "ingress", "acme"} {
		if !strings.Contains(got, "remove "+name) {
			t.Errorf("bare cluster: no removal phase for %s in %s", name, got)
		}
	}
	if strings.Contains(got, "system storage") || strings.Contains(got, "controller,") {
		t.Errorf("bare cluster runs an undeclared component's phases: %s", got)
	}
	// The node probes and the leader agent need no section: every swarm
	// gets them, after the images they run are loaded, the probes' network
	// before the agents that join it.
	if !strings.HasSuffix(got, "images, health, placement") {
		t.Errorf("bare cluster: want the health and placement phases last, after images: %s", got)
	}
	titles := phaseTitles(bare)
	removals := []string{"remove acme", "remove ingress", "remove vip", "remove storage", "images"}
	last := -1
	for _, r := range removals {
		i := slices.Index(titles, r)
		if i <= last {
			t.Errorf("want %v in this order (the list backwards, then images): %v", removals, titles)
			break
		}
		last = i
	}
}

// Status and verify judge the same sections: those of declared components.
func TestStatusSectionsAreTheDeclaredComponents(t *testing.T) {
	c := &config.Cluster{Storage: &config.Storage{}, Ingress: &config.Ingress{}}
	var names []string
	for _, s := range StatusSections(c) {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "storage,ingress" {
		t.Errorf("sections = %s, want storage,ingress", got)
	}
	if n := len(StatusSections(&config.Cluster{})); n != 0 {
		t.Errorf("a bare cluster has %d sections, want 0", n)
	}
}

// Every host gets exactly the images of the components that run there.
func TestNodeImagesPerComponent(t *testing.T) {
	c := &config.Cluster{
		Hosts:   []config.Host{{Name: "a", Role: "manager"}, {Name: "b", Role: "manager"}, {Name: "c", Role: "manager"}, {Name: "w", Role: "worker"}},
		Storage: &config.Storage{}, VIP: &config.VIP{}, Ingress: &config.Ingress{},
	}
	need := nodeImages(c)
	probe, err := nodeProbeRecipe.Tag()
	if err != nil {
		t.Fatal(err)
	}
	if len(need["w"]) != 1 {
		t.Errorf("a worker with no brick got %d images, want the node probe's alone", len(need["w"]))
	} else if tag, _ := need["w"][0].Tag(); tag != probe {
		t.Errorf("a worker with no brick got %s, want the node probe's", tag)
	}
	if len(need["a"]) == 0 {
		t.Fatal("manager a needs no images")
	}
	c.Ingress.Image = "traefik:v3"
	if withOwn := nodeImages(c); len(withOwn["a"]) != len(need["a"])-1 {
		t.Errorf("a Traefik image named in the file is still built: %d vs %d images", len(withOwn["a"]), len(need["a"]))
	}
}

func componentByName(name string) component {
	for _, cp := range components() {
		if cp.name == name {
			return cp
		}
	}
	return component{}
}
