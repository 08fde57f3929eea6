package config

import (
	"path/filepath"
	"testing"
)

func TestDefaultsApplied(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	c, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata/valid")
	key := filepath.Join(dir, "id_test")
	if c.SSH.KeyFile != key || c.SSH.KnownHosts != filepath.Join(dir, "known_hosts") {
		t.Errorf("ssh paths not resolved: %+v", c.SSH)
	}
	n1, _ := c.HostByName("node1")
	if n1.Port != 2222 || n1.User != "admin" || n1.KeyFile != key || n1.Role != RoleManager {
		t.Errorf("node1 did not inherit ssh defaults: %+v", n1)
	}
	n2, _ := c.HostByName("node2")
	if n2.Port != 22 || n2.User != "root" || n2.KeyFile != key {
		t.Errorf("node2 overrides lost: %+v", n2)
	}

	m, err := Load("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.SSH.User != "root" || m.SSH.Port != 22 || m.SSH.KeyFile != "" ||
		m.SSH.KnownHosts != filepath.Join(home, ".ssh", "known_hosts") {
		t.Errorf("built-in defaults not applied: %+v", m.SSH)
	}
	if h := m.Hosts[0]; h.Port != 22 || h.User != "root" || h.KeyFile != "" || h.Role != RoleManager {
		t.Errorf("host defaults not applied: %+v", h)
	}
}

func TestResolveTilde(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	c := &Cluster{Path: "/etc/skep/cluster.yaml"}
	for in, want := range map[string]string{
		"~/.ssh/id": filepath.Join(home, ".ssh/id"),
		"keys/id":   "/etc/skep/keys/id",
		"/abs/./id": "/abs/id",
		"":          "",
	} {
		if got := c.resolve(in); got != want {
			t.Errorf("resolve(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestApplyDefaultsIdempotent(t *testing.T) {
	c, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := Write(c)
	c.ApplyDefaults()
	after, _ := Write(c)
	if string(before) != string(after) {
		t.Errorf("second ApplyDefaults changed the cluster:\n%s\nvs\n%s", before, after)
	}
}
