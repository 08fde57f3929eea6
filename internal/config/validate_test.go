package config

import (
	"strings"
	"testing"
)

// Validate works on a cluster built in code, before any defaults.
func TestValidateWithoutDefaults(t *testing.T) {
	c := &Cluster{Name: "skep", Hosts: []Host{
		{Name: "node1", Address: "127.0.0.1"},
		{Name: "node2", Address: "127.0.0.2"},
		{Name: "node3", Address: "127.0.0.3"},
	}}
	if ps := c.Validate(); len(ps) != 0 {
		t.Fatalf("unexpected problems: %v", ps)
	}
	c.Hosts = c.Hosts[:2]
	ps := c.Validate()
	if len(ps) != 1 || ps[0].Path != "hosts" || !strings.Contains(ps[0].Message, "allow_unsafe_managers") {
		t.Fatalf("want one manager-count problem, got %v", ps)
	}
}

func TestAddressProblem(t *testing.T) {
	ok := []string{"127.0.0.1", "::1", "fe80::1", "node1", "node1.example.internal", "Node1.Example.", "1a.example", "example.123a"}
	bad := []string{"", "127.0.0.300", "1.2.3", "0.0.0.0", "a..b", "-a.example", "a_b", "root@h", "h:22", "[::1]", "a b", strings.Repeat("a", 64)}
	for _, a := range ok {
		if m := addressProblem(a); m != "" {
			t.Errorf("%q: unexpected %s", a, m)
		}
	}
	for _, a := range bad {
		if addressProblem(a) == "" {
			t.Errorf("%q accepted", a)
		}
	}
}
