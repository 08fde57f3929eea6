package storage

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"skep/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", p, got, want)
	}
}

func testCluster(n int) *config.Cluster {
	c := &config.Cluster{Name: "t", Storage: &config.Storage{}}
	for i := 1; i <= n; i++ {
		d := string(rune('0' + i))
		c.Hosts = append(c.Hosts, config.Host{Name: "node" + d, Address: "10.0.0.1" + d})
	}
	c.ApplyDefaults()
	return c
}

func TestUnitsGolden(t *testing.T) {
	c := testCluster(4)
	for _, h := range []config.Host{c.Hosts[1], c.Hosts[3]} {
		var b strings.Builder
		for _, u := range Units(c, h) {
			b.WriteString("=== " + u.Path + "\n" + u.Content)
		}
		golden(t, "units-"+h.Name, b.String())
	}
}

func TestMountUnitName(t *testing.T) {
	for in, want := range map[string]string{
		"/var/data":         "var-data.mount",
		"/mnt/shared-data/": `mnt-shared\x2ddata.mount`,
		"/srv/.hidden":      `srv-.hidden.mount`,
		"/.x":               `\x2ex.mount`,
	} {
		if got := MountUnitName(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
