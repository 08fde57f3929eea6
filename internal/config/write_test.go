package config

import (
	"reflect"
	"strings"
	"testing"
)

// Write's output loads back to the same cluster.
func TestWriteRoundTrip(t *testing.T) {
	for _, f := range []string{"testdata/valid/full.yaml", "testdata/valid/minimal.yaml"} {
		c, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		data, err := Write(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(data, f)
		if err != nil {
			t.Fatalf("%s: written file does not load:\n%v\n%s", f, err, data)
		}
		if !reflect.DeepEqual(c, back) {
			t.Errorf("%s: round trip changed the cluster:\n%+v\n%+v", f, c, back)
		}
	}
}

// A cluster built in code (as the lab does) writes only what is set.
func TestWriteOmitsEmpty(t *testing.T) {
	c := &Cluster{
		Name:  "skep",
		SSH:   SSH{KeyFile: "/state/id_ed25519"},
		Hosts: []Host{{Name: "node1", Address: "127.0.0.1"}},
		Path:  "/state/cluster.yaml",
	}
	data, err := Write(c)
	if err != nil {
		t.Fatal(err)
	}
	want := "name: skep\nssh:\n  key_file: /state/id_ed25519\nhosts:\n  - name: node1\n    address: 127.0.0.1\n"
	if string(data) != want {
		t.Errorf("got\n%s\nwant\n%s", data, want)
	}
	if strings.Contains(string(data), "cluster.yaml") {
		t.Error("Path must not be written")
	}
}
