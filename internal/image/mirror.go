package image

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DebianMirror returns the Debian archive URL this machine's apt uses, so the
// node image is built from the same mirror the operator already trusts and
// reaches. SKEP_DEBIAN_MIRROR overrides it.
func DebianMirror() (string, error) {
	if m := os.Getenv("SKEP_DEBIAN_MIRROR"); m != "" {
		return m, nil
	}
	files := []string{"/etc/apt/sources.list"}
	for _, pat := range []string{"/etc/apt/sources.list.d/*.sources", "/etc/apt/sources.list.d/*.list"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var uris []string
		if strings.HasSuffix(f, ".sources") {
			uris = deb822URIs(string(data))
		} else {
			uris = oneLineURIs(string(data))
		}
		for _, u := range uris {
			if isDebianArchive(u) {
				return u, nil
			}
		}
	}
	return "", fmt.Errorf("no Debian archive found in /etc/apt/sources.list or /etc/apt/sources.list.d; set SKEP_DEBIAN_MIRROR to a Debian mirror URL")
}

// isDebianArchive keeps the main archive and drops the security archive and
// third-party repositories, which cannot bootstrap a Debian root.
func isDebianArchive(uri string) bool {
	u := strings.TrimRight(uri, "/")
	return strings.HasSuffix(u, "/debian") && !strings.Contains(u, "security")
}

// oneLineURIs reads the classic "deb URI suite components" format.
func oneLineURIs(text string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		i := 1
		for i < len(f) && strings.HasPrefix(f[i], "[") { // options like [arch=amd64 signed-by=...]
			for i < len(f) && !strings.HasSuffix(f[i], "]") {
				i++
			}
			i++
		}
		if i < len(f) {
			out = append(out, f[i])
		}
	}
	return out
}

// deb822URIs reads the "Types:/URIs:" stanza format of *.sources files.
func deb822URIs(text string) []string {
	var out []string
	for _, stanza := range strings.Split(text, "\n\n") {
		isDeb := false
		var uris []string
		for _, line := range strings.Split(stanza, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok || strings.HasPrefix(line, "#") {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "types":
				isDeb = strings.Contains(" "+v+" ", " deb ")
			case "uris":
				uris = strings.Fields(v)
			}
		}
		if isDeb {
			out = append(out, uris...)
		}
	}
	return out
}
