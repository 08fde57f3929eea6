package image

import (
	"reflect"
	"testing"
)

func TestMirrorParsing(t *testing.T) {
	deb822 := "Types: deb\nURIs: http://127.0.0.1/debian\nSuites: trixie\n\nTypes: deb\nURIs: http://127.0.0.1/debian-security\nSuites: trixie-security\n"
	if got := deb822URIs(deb822); !reflect.DeepEqual(got, []string{"http://127.0.0.1/debian", "http://127.0.0.1/debian-security"}) {
		t.Fatalf("deb822: %v", got)
	}
	line := "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://127.0.0.1/debian bookworm main\ndeb-src http://127.0.0.1/x y z\n"
	if got := oneLineURIs(line); !reflect.DeepEqual(got, []string{"http://127.0.0.1/debian"}) {
		t.Fatalf("one-line: %v", got)
	}
	if isDebianArchive("http://127.0.0.1/debian-security") || !isDebianArchive("http://127.0.0.1/debian/") || isDebianArchive("https://127.0.0.1/node_20.x") {
		t.Fatal("archive filter")
	}
}
