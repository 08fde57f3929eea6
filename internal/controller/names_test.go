package controller

import (
	"reflect"
	"testing"
)

func TestRuleHosts(t *testing.T) {
	cases := map[string][]string{
		"Host(`a.example.com`)":                                 {"a.example.com"},
		"Host(`a.example.com`, `b.example.com`)":                {"a.example.com", "b.example.com"},
		"Host(`a.x.org`) || Host(\"b.x.org\")":                  {"a.x.org", "b.x.org"},
		"Host(`a.x.org`) && PathPrefix(`/api`)":                 {"a.x.org"},
		"HostRegexp(`^.+\\.x\\.org$`)":                          nil,
		"HostSNI(`*`)":                                          nil,
		"PathPrefix(`/`)":                                       nil,
		"(Host(`a.x.org`) || HostRegexp(`x`)) && Method(`GET`)": {"a.x.org"},
	}
	for rule, want := range cases {
		if got := RuleHosts(rule); !reflect.DeepEqual(got, want) {
			t.Errorf("RuleHosts(%q) = %q, want %q", rule, got, want)
		}
	}
}

func TestLabelsNameSets(t *testing.T) {
	labels := map[string]string{
		"traefik.enable":                  "true",
		"traefik.http.routers.web.rule":   "Host(`B.x.org`, `a.x.org`)",
		"traefik.http.routers.api.rule":   "Host(`api.x.org`) && PathPrefix(`/v1`)",
		"traefik.http.routers.web.tls":    "true",
		"traefik.http.services.web.port":  "80",
		"traefik.http.routers.other.rule": "PathPrefix(`/`)",
	}
	got := labelsNameSets(labels)
	want := []NameSet{{"api.x.org"}, {"a.x.org", "b.x.org"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	delete(labels, "traefik.enable")
	if got := labelsNameSets(labels); got != nil {
		t.Fatalf("a service Traefik does not expose gave %q", got)
	}
}

func TestDesiredSets(t *testing.T) {
	sets, invalid := desiredSets(
		[]string{"a.x.org", "c.x.org", "localhost", "*.x.org"},
		[]NameSet{{"a.x.org", "b.x.org"}, {"c.x.org"}, {"c.x.org"}, {"bad_name.x.org", "d.x.org"}},
	)
	want := []NameSet{{"a.x.org", "b.x.org"}, {"c.x.org"}, {"d.x.org"}}
	if !reflect.DeepEqual(sets, want) {
		t.Errorf("sets %q, want %q (a.x.org alone is covered by the larger set; duplicates once)", sets, want)
	}
	if wantBad := []string{"*.x.org", "bad_name.x.org", "localhost"}; !reflect.DeepEqual(invalid, wantBad) {
		t.Errorf("invalid %q, want %q", invalid, wantBad)
	}
}
