package status

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/ingress"
)

// Ingress is the ingress section of the status contract: the managers
// whose Traefik answers its ping.
type Ingress struct {
	ServingOn []string `json:"serving_on"`
}

// HostIngress is what one manager's Traefik answered; nil when not asked
// (a worker, or a host whose engine did not answer).
type HostIngress struct {
	PingErr error
}

// pingTimeout bounds one ping: a frozen Traefik accepts TCP and says nothing.
const pingTimeout = 2 * time.Second

// pingTraefik asks the host's Traefik for its ping exactly as keepalived's
// track script does (the local ping port), through the SSH connection.
func pingTraefik(ctx context.Context, h *host.Host) *HostIngress {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	addr := "127.0.0.1:" + strconv.Itoa(ingress.PingPort)
	tr := &http.Transport{
		DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return h.DialTCP(ctx, addr) },
		DisableKeepAlives: true,
		Proxy:             nil,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+ingress.PingPath, nil)
	if err != nil {
		return &HostIngress{PingErr: err}
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return &HostIngress{PingErr: fmt.Errorf("no answer on %s%s: %v", addr, ingress.PingPath, unwrapURLError(err))}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode != http.StatusOK {
		return &HostIngress{PingErr: fmt.Errorf("ping answered %d %s", resp.StatusCode, strings.TrimSpace(string(body)))}
	}
	return &HostIngress{}
}

func unwrapURLError(err error) error {
	if ue, ok := err.(interface{ Unwrap() error }); ok && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}

// buildIngress reports which managers serve, and a problem for every
// reachable manager whose Traefik does not answer. nil when the cluster
// has no ingress.
func buildIngress(f Facts) (*Ingress, []string) {
	if f.File == nil || f.File.Ingress == nil {
		return nil, nil
	}
	in := &Ingress{ServingOn: []string{}}
	var problems []string
	managers := 0
	for _, h := range f.Hosts {
		if h.declaredRole() != config.RoleManager {
			continue
		}
		managers++
		switch {
		case h.Ingress == nil:
			// Not asked: the host's own problem (unreachable, engine
			// silent, not a swarm manager) is reported already.
		case h.Ingress.PingErr == nil:
			in.ServingOn = append(in.ServingOn, h.Name)
		default:
			problems = append(problems, fmt.Sprintf("%s: Traefik does not serve (%s); see docker service ps %s, or run skep apply",
				h.Name, trimHostPrefix(h.Name, h.Ingress.PingErr.Error()), ingress.TraefikService))
		}
	}
	if managers > 0 && len(in.ServingOn) == 0 {
		problems = append(problems, "ingress: Traefik serves on no manager; HTTP(S) to the cluster fails")
	}
	return in, problems
}

// writeText renders the ingress line of the status screen.
func (in *Ingress) writeText(w io.Writer) {
	serving := strings.Join(in.ServingOn, ", ")
	if serving == "" {
		serving = "no manager"
	}
	fmt.Fprintf(w, "\ningress: Traefik serving on %s\n", serving)
}
