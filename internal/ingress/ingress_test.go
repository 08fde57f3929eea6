package ingress

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func specJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestTraefikSpecGolden(t *testing.T) {
	golden(t, "traefik", specJSON(t, WithHash(TraefikSpec(TraefikOptions{Image: "skep-traefik:0123456789ab"}))))
	golden(t, "traefik-api", specJSON(t, WithHash(TraefikSpec(TraefikOptions{Image: "traefik:v3.6.15", API: true, APIPort: 8080, APIConfig: APIConfigName()}))))
}

func TestProxySpecGolden(t *testing.T) {
	golden(t, "socket-proxy", specJSON(t, WithHash(ProxySpec("skep-socket-proxy:0123456789ab"))))
}

func TestAPIConfigGolden(t *testing.T) {
	golden(t, "traefik-api.yml", APIConfig())
	if !strings.HasPrefix(APIConfigName(), APIConfigPrefix) {
		t.Fatal(APIConfigName())
	}
}

// Traefik's flags must never carry a secret, and the API must stay off
// (no API flag at all) unless asked for.
func TestTraefikArgs(t *testing.T) {
	off := strings.Join(TraefikArgs(TraefikOptions{}), " ")
	if strings.Contains(off, "--api") || strings.Contains(off, "dashboard=true") {
		t.Errorf("API flags with the API off: %s", off)
	}
	on := strings.Join(TraefikArgs(TraefikOptions{API: true, APIPort: 9000}), " ")
	for _, want := range []string{"--api=true", "--api.dashboard=false", ":9000", "--providers.file.filename="} {
		if !strings.Contains(on, want) {
			t.Errorf("API on lacks %q: %s", want, on)
		}
	}
	if strings.Contains(on, "insecure") || strings.Contains(on, "users=") {
		t.Errorf("API on exposes itself or a user: %s", on)
	}
}

// The hash changes with anything declared and is stable otherwise.
func TestSpecHash(t *testing.T) {
	a := SpecHash(TraefikSpec(TraefikOptions{Image: "x"}))
	if a != SpecHash(TraefikSpec(TraefikOptions{Image: "x"})) {
		t.Fatal("hash not stable")
	}
	if a == SpecHash(TraefikSpec(TraefikOptions{Image: "y"})) || a == SpecHash(TraefikSpec(TraefikOptions{Image: "x", API: true, APIPort: 8080})) {
		t.Fatal("hash blind to a change")
	}
	if WithHash(ProxySpec("p")).Labels[ComponentLabel] != "ingress" {
		t.Fatal("WithHash dropped a label")
	}
}

func TestNewAPIUser(t *testing.T) {
	pw, line, err := NewAPIUser()
	if err != nil {
		t.Fatal(err)
	}
	if len(pw) < 24 || strings.Contains(string(line), pw) {
		t.Fatalf("weak password or password in the users file: %q", line)
	}
	user, hash, ok := strings.Cut(strings.TrimSpace(string(line)), ":")
	if !ok || user != APIUser {
		t.Fatalf("users line %q", line)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) != nil {
		t.Fatal("hash does not match the password")
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw+"x")) == nil {
		t.Fatal("hash matches a wrong password")
	}
	pw2, _, _ := NewAPIUser()
	if pw2 == pw {
		t.Fatal("two passwords alike")
	}
}
