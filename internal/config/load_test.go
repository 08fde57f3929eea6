package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid/*.golden from the current output")

// TestValidFixtures: every file in testdata/valid loads with no problems.
func TestValidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no valid fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatalf("unexpected problems:\n%v", err)
			}
		})
	}
}

// TestInvalidFixtures: each testdata/invalid/X.yaml reports exactly the
// problems in X.golden, one "line N: path: message" per line. The absolute
// testdata directory is written as $TESTDATA so goldens are portable.
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no invalid fixtures")
	}
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError, got %v", err)
			}
			var lines []string
			for _, p := range ve.Problems {
				lines = append(lines, strings.ReplaceAll(p.String(), dir, "$TESTDATA"))
			}
			got := strings.Join(lines, "\n") + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
}

func TestErrorText(t *testing.T) {
	e := &ValidationError{File: "/x/cluster.yaml", Problems: []Problem{
		{Path: "hosts[1].address", Line: 7, Message: "required"},
		{Line: 2, Message: "invalid YAML: oops"},
		{Path: "name", Message: "bad"},
	}}
	want := "cluster file /x/cluster.yaml has 3 problems:\n" +
		"  line 7: hosts[1].address: required\n" +
		"  line 2: invalid YAML: oops\n" +
		"  name: bad"
	if got := e.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	one := &ValidationError{File: "c.yaml", Problems: []Problem{{Message: "x"}}}
	if got := one.Error(); got != "cluster file c.yaml has 1 problem:\n  x" {
		t.Errorf("singular: got %q", got)
	}
}

func TestParseRecordsAbsolutePath(t *testing.T) {
	c, err := Load("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs("testdata/valid/minimal.yaml")
	if c.Path != want {
		t.Errorf("Path = %q, want %q", c.Path, want)
	}
}

func TestParentPathAndLine(t *testing.T) {
	for in, want := range map[string]string{
		"hosts[1].address":             "hosts[1]",
		"hosts[1]":                     "hosts",
		`hosts[0].labels["skep.a[b]"]`: "hosts[0].labels",
		`hosts[0].labels["x\"y.z"]`:    "hosts[0].labels",
		"name":                         "",
		"":                             "",
	} {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
	lines := map[string]int{"": 1, "hosts": 2, "hosts[0]": 3}
	if got := lineOf(lines, "hosts[0].address"); got != 3 {
		t.Errorf("missing field should point at its host item: got line %d", got)
	}
}
