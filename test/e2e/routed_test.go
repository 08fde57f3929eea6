//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// whoamiImage ships the lab's whoami image to its nodes and returns its tag.
func whoamiImage(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(mustSkep(t, 5*time.Minute, "lab", "whoami", "ship", "--name", labName).stdout)
}

// routeWhoami deploys what a user would: service svc from the whoami image
// tag on skep-public, with Traefik labels routing Host(host) to its port
// 8080, replacing one a failed run left. placement is the rest of the
// `docker service create` flags (replicas and the like). The service is
// removed when the test ends. It returns once the service is created (not
// yet served) with the time just before it was asked for.
func routeWhoami(t *testing.T, svc, host, tag, placement string) time.Time {
	t.Helper()
	create := fmt.Sprintf("docker service rm %[1]s >/dev/null 2>&1; docker service create --detach --quiet --name %[1]s "+
		"%[2]s --network skep-public --endpoint-mode dnsrr --no-resolve-image "+
		"--label traefik.enable=true --label 'traefik.http.routers.%[1]s.rule=Host(`%[3]s`)' "+
		"--label traefik.http.services.%[1]s.loadbalancer.server.port=8080 %[4]s --port 8080", svc, placement, host, tag)
	deployed := time.Now()
	onCtl(t, "node1", create)
	t.Cleanup(func() { onCtl(t, "node1", "docker service rm "+svc) })
	return deployed
}

// labRoots is the lab CA's root certificate, the one root a browser that
// trusts the lab would have.
func labRoots(t *testing.T, l labInfo) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(l.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no PEM certificate", l.CAFile)
	}
	return roots
}

// verifiedTo sends every request to addr, checking the certificate against
// the lab CA's root for serverName as any browser would. Redirects are
// returned, not followed.
func verifiedTo(addr, serverName string, roots *x509.CertPool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) },
			TLSClientConfig:   &tls.Config{ServerName: serverName, RootCAs: roots},
			DisableKeepAlives: true, // every probe makes its own handshake
			Proxy:             nil,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// served is one verified HTTPS answer and the leaf certificate it came with.
type served struct {
	code   int
	serial string
	issuer string
	names  []string
}

func getVerified(c *http.Client, url string) (served, error) {
	resp, err := c.Get(url)
	if err != nil {
		return served{}, err
	}
	defer resp.Body.Close()
	s := served{code: resp.StatusCode}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		leaf := resp.TLS.PeerCertificates[0]
		s.serial, s.issuer, s.names = leaf.SerialNumber.Text(16), leaf.Issuer.CommonName, leaf.DNSNames
	}
	return s, nil
}

// firstHTTPS waits up to 3 minutes for c (bound to the VIP) to get a 200
// for host with a certificate from the lab CA, and returns that answer.
func firstHTTPS(t *testing.T, c *http.Client, host string) served {
	t.Helper()
	var first served
	eventually(t, 3*time.Minute, "HTTPS 200 through the VIP with a certificate from the lab CA", func() (bool, string) {
		s, err := getVerified(c, "https://"+host+"/")
		if err != nil {
			return false, err.Error()
		}
		first = s
		return s.code == 200, fmt.Sprintf("answered %d", s.code)
	})
	return first
}

// servesCertificate waits up to 30 s for the Traefik of node, at addr, to
// answer HTTPS 200 for host with the certificate of serial.
func servesCertificate(t *testing.T, node, addr, host string, roots *x509.CertPool, serial string) {
	t.Helper()
	c := verifiedTo(net.JoinHostPort(addr, "443"), host, roots, 5*time.Second)
	eventually(t, 30*time.Second, node+" serves the certificate", func() (bool, string) {
		got, err := getVerified(c, "https://"+host+"/")
		if err != nil {
			return false, err.Error()
		}
		return got.code == 200 && got.serial == serial, fmt.Sprintf("%d serial %s", got.code, got.serial)
	})
}
