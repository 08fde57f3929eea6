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
// (a worker, or a host not reachable).
type HostIngress struct {
	PingErr error
}

// pingTimeout bounds one ping: a frozen Traefik accepts TCP and says nothing.
const pingTimeout = 2 * time.Second

// pingTraefik asks the host's Traefik for its ping exactly as skep vip-agent
// does for keepalived (the local ping port), through the SSH connection.
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
		return &HostIngress{PingErr: fmt.Errorf("no answer on %s%s: %w", addr, ingress.PingPath, unwrapURLError(err))}
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
// reachable manager whose Traefik does not answer (a ping that timed out
// is not known). nil when the cluster has no ingress.
func buildIngress(f Facts, fd *findings) *Ingress {
	if f.File == nil || f.File.Ingress == nil {
		return nil
	}
	in := &Ingress{ServingOn: []string{}}
	managers, silent := 0, 0
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
		case notAnswered(h.Ingress.PingErr):
			silent++
			fd.notKnown("%s: whether Traefik serves is not known (%s)", h.Name, trimHostPrefix(h.Name, h.Ingress.PingErr.Error()))
		default:
			fd.problem("%s: Traefik does not serve (%s); see docker service ps %s, or run skep apply",
				h.Name, trimHostPrefix(h.Name, h.Ingress.PingErr.Error()), ingress.TraefikService)
		}
	}
	if managers > 0 && len(in.ServingOn) == 0 && silent == 0 {
		fd.problem("ingress: Traefik serves on no manager; HTTP(S) to the cluster fails")
	}
	return in
}

// writeText renders the ingress line of the status screen.
func (in *Ingress) writeText(w io.Writer) {
	serving := strings.Join(in.ServingOn, ", ")
	if serving == "" {
		serving = "no manager"
	}
	fmt.Fprintf(w, "\ningress: Traefik serving on %s\n", serving)
}
