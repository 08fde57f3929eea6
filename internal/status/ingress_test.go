package status

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"skep/internal/config"
)

func withIngress(f Facts) Facts {
	f.File = &config.Cluster{Name: f.Cluster, Ingress: &config.Ingress{}}
	return f
}

func pinged(h HostFacts, err error) HostFacts {
	h.Ingress = &HostIngress{PingErr: err}
	return h
}

func TestIngressServingEverywhere(t *testing.T) {
	l := healthyList()
	r := Build(withIngress(facts(pinged(up(1, true, l...), nil), pinged(up(2, true, l...), nil), pinged(up(3, true, l...), nil))))
	if !r.Healthy || r.Ingress == nil || strings.Join(r.Ingress.ServingOn, ",") != "node1,node2,node3" {
		t.Fatalf("healthy %v ingress %+v problems %v", r.Healthy, r.Ingress, r.Problems)
	}
	var buf bytes.Buffer
	r.WriteText(&buf)
	if !strings.Contains(buf.String(), "ingress: Traefik serving on node1, node2, node3") {
		t.Fatalf("text:\n%s", buf.String())
	}
}

// A manager whose Traefik is silent is a problem naming it; a dead node is
// reported as dead only, not twice.
func TestIngressNotServing(t *testing.T) {
	l := healthyList()
	l[2] = mgr(3, "down", "unreachable", false)
	r := Build(withIngress(facts(pinged(up(1, true, l...), nil),
		pinged(up(2, true, l...), errors.New("no answer on 127.0.0.1:8082/ping: connection refused")),
		dead(3, "manager"))))
	if r.Healthy || strings.Join(r.Ingress.ServingOn, ",") != "node1" {
		t.Fatalf("healthy %v serving %v", r.Healthy, r.Ingress.ServingOn)
	}
	var ingressProblems []string
	for _, p := range r.Problems {
		if strings.Contains(p, "Traefik") {
			ingressProblems = append(ingressProblems, p)
		}
	}
	if len(ingressProblems) != 1 || !strings.HasPrefix(ingressProblems[0], "node2: Traefik does not serve (no answer on 127.0.0.1:8082/ping: connection refused)") {
		t.Fatalf("problems %q", r.Problems)
	}
}

func TestIngressNowhere(t *testing.T) {
	l := healthyList()
	refused := errors.New("refused")
	r := Build(withIngress(facts(pinged(up(1, true, l...), refused), pinged(up(2, true, l...), refused), pinged(up(3, true, l...), refused))))
	if r.Healthy || len(r.Ingress.ServingOn) != 0 || !strings.Contains(strings.Join(r.Problems, "\n"), "ingress: Traefik serves on no manager") {
		t.Fatalf("problems %v", r.Problems)
	}
	out, _ := json.Marshal(r.Ingress)
	if string(out) != `{"serving_on":[]}` {
		t.Fatalf("JSON %s", out)
	}
}

// Without an ingress section there is no ingress section in the report.
func TestIngressAbsent(t *testing.T) {
	l := healthyList()
	r := Build(facts(up(1, true, l...), up(2, true, l...), up(3, true, l...)))
	out, _ := json.Marshal(r)
	if r.Ingress != nil || strings.Contains(string(out), "ingress") {
		t.Fatalf("ingress reported without a section: %s", out)
	}
}

// A ping that got no answer in time is not known: no problem, and no
// "serves on no manager" when the others serve or are not known either.
func TestIngressPingNotKnown(t *testing.T) {
	l := healthyList()
	slow := fmt.Errorf("no answer on 127.0.0.1:8082/ping: %w", context.DeadlineExceeded)
	r := Build(withIngress(facts(pinged(up(1, true, l...), slow), pinged(up(2, true, l...), slow), pinged(up(3, true, l...), slow))))
	wantProblems(t, r)
	if len(r.Unknown) != 3 || !strings.HasPrefix(r.Unknown[0], "node1: whether Traefik serves is not known (no answer on") {
		t.Errorf("unknown %q", r.Unknown)
	}
}
