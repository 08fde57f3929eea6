package bench

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"skep/internal/ingress"
)

// forDocker is the compose file as docker stack deploy needs it to run on
// a skep cluster, changed as little as it can be, and what was changed
// (for the benchmark's note). The file stays a template: its variables are
// left for docker to fill in from the environment.
//
//   - A service with traefik.enable=true in deploy.labels joins the
//     external network skep-public, where Traefik looks for it (skep does
//     this itself; docker puts the service on the stack's own network
//     only, where Traefik cannot reach it).
//   - Without IPVS in the kernel, such a service gets endpoint_mode dnsrr
//     (skep does this too; docker would give it a virtual IP the kernel
//     cannot serve).
//
// Named volumes stay as they are: docker makes each one a local volume on
// the node the task runs on, which it creates itself; skep makes them
// directories on the shared storage instead.
func forDocker(file []byte, ipvs bool) ([]byte, []string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(file, &doc); err != nil {
		return nil, nil, err
	}
	services, _ := doc["services"].(map[string]any)
	var names []string
	for name := range services {
		names = append(names, name)
	}
	sort.Strings(names)
	var changes []string
	for _, name := range names {
		svc, _ := services[name].(map[string]any)
		deploy, _ := svc["deploy"].(map[string]any)
		if svc == nil || deploy == nil || !routed(deploy["labels"]) {
			continue
		}
		if err := joinNetwork(svc, ingress.PublicNetwork); err != nil {
			return nil, nil, fmt.Errorf("services.%s: %w", name, err)
		}
		changes = append(changes, fmt.Sprintf("%s joins the external network %s", name, ingress.PublicNetwork))
		if !ipvs && deploy["endpoint_mode"] == nil {
			deploy["endpoint_mode"] = "dnsrr"
			changes = append(changes, name+" gets endpoint_mode dnsrr (no IPVS in the lab's kernel)")
		}
	}
	if len(changes) > 0 {
		nets, _ := doc["networks"].(map[string]any)
		if nets == nil {
			nets = map[string]any{}
			doc["networks"] = nets
		}
		nets[ingress.PublicNetwork] = map[string]any{"external": true}
	}
	out, err := yaml.Marshal(doc)
	return out, changes, err
}

// routed tells whether deploy.labels (a map or a list of KEY=VALUE) sets
// traefik.enable to true.
func routed(labels any) bool {
	switch l := labels.(type) {
	case map[string]any:
		return fmt.Sprint(l["traefik.enable"]) == "true"
	case []any:
		for _, e := range l {
			if fmt.Sprint(e) == "traefik.enable=true" {
				return true
			}
		}
	}
	return false
}

// joinNetwork adds network to a service's networks, keeping the default
// network compose gives a service that names none.
func joinNetwork(svc map[string]any, network string) error {
	switch n := svc["networks"].(type) {
	case nil:
		svc["networks"] = []any{"default", network}
	case []any:
		svc["networks"] = append(n, network)
	case map[string]any:
		n[network] = nil
	default:
		return fmt.Errorf("networks is neither a list nor a map")
	}
	return nil
}

// changesNote is the changes as one clause of a row's note.
func changesNote(changes []string) string {
	if len(changes) == 0 {
		return "the file as it is"
	}
	return "changed for docker: " + strings.Join(changes, "; ")
}
