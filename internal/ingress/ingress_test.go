package ingress

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	skswarm "skep/internal/swarm"
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
	golden(t, "traefik", specJSON(t, skswarm.WithHash(TraefikSpec(TraefikOptions{Image: "skep-traefik:0123456789ab"}))))
	golden(t, "traefik-api", specJSON(t, skswarm.WithHash(TraefikSpec(TraefikOptions{Image: "traefik:v3.6.15", API: true, APIPort: 8080, APIConfig: APIConfigName()}))))
}

func TestProxySpecGolden(t *testing.T) {
	golden(t, "socket-proxy", specJSON(t, skswarm.WithHash(ProxySpec("skep-socket-proxy:0123456789ab"))))
}

func TestStaticConfigGolden(t *testing.T) {
	golden(t, "traefik.yml", StaticConfig(TraefikOptions{}))
	golden(t, "traefik-api-static.yml", StaticConfig(TraefikOptions{API: true, APIPort: 8080}))
}

func TestAPIConfigGolden(t *testing.T) {
	golden(t, "traefik-api.yml", APIConfig())
	if !strings.HasPrefix(APIConfigName(), APIConfigPrefix) {
		t.Fatal(APIConfigName())
	}
}

// Traefik's argv is the path of its static file alone, and the API stays
// off (nothing of it in the file) unless asked for.
func TestTraefikArgs(t *testing.T) {
	for _, o := range []TraefikOptions{{}, {API: true, APIPort: 9000}} {
		if args := TraefikArgs(o); len(args) != 1 || args[0] != "--configFile=/run/secrets/traefik.yml" {
			t.Fatalf("args %v", args)
		}
	}
	off := string(StaticConfig(TraefikOptions{}))
	if strings.Contains(off, "api:") || strings.Contains(off, "dashboard") || strings.Contains(off, "9000") {
		t.Errorf("API settings with the API off:\n%s", off)
	}
	if c := TraefikSpec(TraefikOptions{}).TaskTemplate.ContainerSpec.Configs; len(c) != 1 || c[0].ConfigName != DefaultsConfigName() {
		t.Errorf("configs with the API off: %+v", c)
	}
	on := string(StaticConfig(TraefikOptions{API: true, APIPort: 9000}))
	for _, want := range []string{"api:\n  dashboard: false", `":9000"`, "directory: /etc/skep/traefik\n"} {
		if !strings.Contains(on, want) {
			t.Errorf("API on lacks %q:\n%s", want, on)
		}
	}
	if strings.Contains(on, "insecure") || strings.Contains(on, "users") {
		t.Errorf("API on exposes itself or a user:\n%s", on)
	}
}

// The swarm provider's refresh is the cluster file's tuning, skep's 2s when
// unset; one value always renders the same file, so the static secret and
// Traefik's spec stay as they are when an unchanged file is applied again,
// and another value makes a new secret (Traefik rolls to it).
func TestStaticConfigRefresh(t *testing.T) {
	for _, tc := range []struct {
		refresh time.Duration
		want    string
	}{{0, "refreshSeconds: 2s\n"}, {750 * time.Millisecond, "refreshSeconds: 750ms\n"}, {90 * time.Second, "refreshSeconds: 1m30s\n"}} {
		o := TraefikOptions{Image: "x", Refresh: tc.refresh}
		if got := string(StaticConfig(o)); !strings.Contains(got, "  swarm:\n") || !strings.Contains(got, "    "+tc.want) {
			t.Errorf("refresh %s: static config lacks %q:\n%s", tc.refresh, tc.want, got)
		}
		if skswarm.SpecHash(TraefikSpec(o)) != skswarm.SpecHash(TraefikSpec(o)) {
			t.Errorf("refresh %s: two renderings differ", tc.refresh)
		}
	}
	two := TraefikOptions{Image: "x", Refresh: 2 * time.Second}
	if StaticSecretName(two) != StaticSecretName(TraefikOptions{Image: "x"}) {
		t.Error("2s and unset render different files")
	}
	if StaticSecretName(two) == StaticSecretName(TraefikOptions{Image: "x", Refresh: 5 * time.Second}) {
		t.Error("another refresh keeps the same static secret")
	}
}

// The static file reaches the controller by its network-qualified name and
// takes the token from the secret Traefik is given, by its target name.
func TestStaticConfigToken(t *testing.T) {
	o := TraefikOptions{Image: "x"}
	static := string(StaticConfig(o))
	if !strings.Contains(static, "endpoint: http://skep-controller:8080/traefik\n") ||
		!strings.Contains(static, `Authorization: Bearer {{ secret "skep-controller-token" }}`+"\n") {
		t.Fatalf("static config:\n%s", static)
	}
	if strings.Count(static, "{{") != 1 {
		t.Fatalf("the template has actions besides the token:\n%s", static)
	}
	spec := TraefikSpec(o)
	targets := map[string]string{}
	for _, s := range spec.TaskTemplate.ContainerSpec.Secrets {
		targets[s.SecretName] = s.File.Name
		if s.File.Mode != 0o400 {
			t.Errorf("secret %s mode %o", s.SecretName, s.File.Mode)
		}
	}
	if targets[TokenSecret] != TokenSecret || targets[StaticSecretName(o)] != "traefik.yml" {
		t.Fatalf("secrets %v", targets)
	}
	if StaticSecretName(o) == StaticSecretName(TraefikOptions{API: true, APIPort: 8080}) || !strings.HasPrefix(StaticSecretName(o), StaticSecretPrefix) {
		t.Fatal("the static secret's name does not follow its content")
	}
	nets := spec.TaskTemplate.Networks
	if len(nets) != 3 || nets[2].Target != ControllerNetwork {
		t.Fatalf("networks %+v", nets)
	}
}

func TestNetworksSealed(t *testing.T) {
	byName := map[string]Network{}
	for _, n := range Networks() {
		byName[n.Name] = n
	}
	if !byName[PublicNetwork].Create.Attachable {
		t.Error("the public network must stay attachable")
	}
	for _, name := range []string{ProxyNetwork, ControllerNetwork} {
		if n := byName[name]; !n.Create.Internal || n.Create.Attachable || n.Create.Driver != "overlay" {
			t.Errorf("%s: %+v, want internal, not attachable overlay", name, n.Create)
		}
	}
	if n := byName[EgressNetwork]; n.Create.Internal || n.Create.Attachable || n.Create.Driver != "overlay" {
		t.Errorf("%s: %+v, want a way out, not attachable", EgressNetwork, n.Create)
	}
}

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if len(a) != 64 || string(a) == string(b) || strings.Trim(string(a), "0123456789abcdef") != "" {
		t.Fatalf("tokens %q %q", a, b)
	}
}

// The hash changes with anything declared and is stable otherwise.
func TestSpecHash(t *testing.T) {
	a := skswarm.SpecHash(TraefikSpec(TraefikOptions{Image: "x"}))
	if a != skswarm.SpecHash(TraefikSpec(TraefikOptions{Image: "x"})) {
		t.Fatal("hash not stable")
	}
	if a == skswarm.SpecHash(TraefikSpec(TraefikOptions{Image: "y"})) || a == skswarm.SpecHash(TraefikSpec(TraefikOptions{Image: "x", API: true, APIPort: 8080})) {
		t.Fatal("hash blind to a change")
	}
	if skswarm.WithHash(ProxySpec("p")).Labels[ComponentLabel] != "ingress" {
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

// Expanded as the engine does (text/template with a secret function over
// the task's secret targets), the static file is YAML whose header carries
// the token, for either API setting.
func TestStaticConfigExpands(t *testing.T) {
	for _, o := range []TraefikOptions{{}, {API: true, APIPort: 8080}} {
		b := expandStatic(t, o)
		var cfg struct {
			EntryPoints map[string]any `yaml:"entryPoints"`
			Providers   struct {
				HTTP struct {
					Endpoint string            `yaml:"endpoint"`
					Headers  map[string]string `yaml:"headers"`
				} `yaml:"http"`
			} `yaml:"providers"`
		}
		if err := yaml.Unmarshal([]byte(b), &cfg); err != nil {
			t.Fatalf("expanded static configuration is not YAML: %v\n%s", err, b)
		}
		if cfg.Providers.HTTP.Headers["Authorization"] != "Bearer "+testToken || cfg.Providers.HTTP.Endpoint != ControllerConfigURL {
			t.Fatalf("http provider %+v", cfg.Providers.HTTP)
		}
		if len(cfg.EntryPoints) != map[bool]int{false: 3, true: 4}[o.API] {
			t.Fatalf("entry points %v", cfg.EntryPoints)
		}
	}
}

const testToken = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

// expandStatic is the static configuration as the engine's template
// driver renders it for a task: a secret function over the task's secret
// targets, which fills in testToken.
func expandStatic(t *testing.T, o TraefikOptions) string {
	t.Helper()
	tmpl, err := template.New("static").Funcs(template.FuncMap{"secret": func(target string) (string, error) {
		if target != TokenSecret {
			return "", fmt.Errorf("secret target %s not found", target)
		}
		return testToken, nil
	}}).Parse(string(StaticConfig(o)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, nil); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
