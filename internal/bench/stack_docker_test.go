package bench

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestForDockerJoinsTraefiksNetworkAndKeepsVariables(t *testing.T) {
	file, err := os.ReadFile("../../examples/counter/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, changes, err := forDocker(file, false)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Networks []string
			Deploy   struct {
				EndpointMode string `yaml:"endpoint_mode"`
				Labels       map[string]string
			}
		}
		Networks map[string]struct{ External bool }
		Volumes  map[string]any
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	web := doc.Services["web"]
	if strings.Join(web.Networks, ",") != "default,skep-public" || !doc.Networks["skep-public"].External {
		t.Errorf("web does not join the external skep-public:\n%s", out)
	}
	if web.Deploy.EndpointMode != "dnsrr" {
		t.Errorf("without IPVS endpoint_mode is %q, want dnsrr", web.Deploy.EndpointMode)
	}
	if !strings.Contains(web.Deploy.Labels["traefik.http.routers.counter.rule"], "${COUNTER_HOST") {
		t.Errorf("the variable was filled in or lost: docker must fill it from the environment:\n%s", out)
	}
	if _, ok := doc.Volumes["data"]; !ok {
		t.Errorf("the named volume is gone:\n%s", out)
	}
	if len(changes) != 2 {
		t.Errorf("changes %q, want the network and the endpoint mode", changes)
	}
	if _, changes, _ := forDocker(file, true); len(changes) != 1 {
		t.Errorf("with IPVS, changes %q, want the network only", changes)
	}
}

func TestForDockerLeavesUnroutedServices(t *testing.T) {
	out, changes, err := forDocker([]byte("services:\n  db:\n    image: db:1\n    deploy:\n      labels: [a=b]\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 0 || strings.Contains(string(out), "skep-public") {
		t.Errorf("an unrouted service was changed: %q\n%s", changes, out)
	}
}
