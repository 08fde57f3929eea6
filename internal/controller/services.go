package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// dockerAPIVersion is the API version asked of the engine through the
// socket proxy; 1.41 (Docker 20.10) has everything read here.
const dockerAPIVersion = "v1.41"

// serviceReader lists swarm services through the read-only Docker API
// proxy: the controller never gets the Docker socket itself.
type serviceReader struct {
	base   string // http://HOST:PORT
	client *http.Client
}

// newServiceReader takes a Docker host such as tcp://skep-socket-proxy:2375.
func newServiceReader(dockerHost string) (*serviceReader, error) {
	u, err := url.Parse(dockerHost)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("docker host %q: want tcp://HOST:PORT", dockerHost)
	}
	return &serviceReader{base: "http://" + u.Host, client: &http.Client{Timeout: 10 * time.Second}}, nil
}

// nameSets returns the name sets of every exposed service's routers.
func (r *serviceReader) nameSets(ctx context.Context) ([]NameSet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/"+dockerAPIVersion+"/services", nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /services through %s: %s: %s", r.base, resp.Status, strings.TrimSpace(string(body)))
	}
	var services []swarm.Service
	if err := json.Unmarshal(body, &services); err != nil {
		return nil, fmt.Errorf("GET /services: %w", err)
	}
	return servicesNameSets(services), nil
}

func servicesNameSets(services []swarm.Service) []NameSet {
	var out []NameSet
	for _, s := range services {
		out = append(out, labelsNameSets(s.Spec.Labels)...)
	}
	return out
}
