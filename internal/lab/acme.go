package lab

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"skep/internal/config"
	skimage "skep/internal/image"
	"skep/internal/poll"
)

// The lab's ACME CA is Pebble, Let's Encrypt's test CA, with
// pebble-challtestsrv as the DNS it validates names through. That DNS
// answers every name with the lab's VIP, so a name in any domain (the lab's
// own live under NAME.lab) reaches the cluster's ingress, exactly as a
// public name pointed at a real cluster's VIP would.
const pebbleVersion = "v2.10.1"

var (
	pebbleImage = skimage.GoProgram{Name: "pebble", Module: "github.com/letsencrypt/pebble/v2",
		Version: pebbleVersion, Package: "./cmd/pebble"}
	challtestsrvImage = skimage.GoProgram{Name: "pebble-challtestsrv", Module: "github.com/letsencrypt/pebble/v2",
		Version: pebbleVersion, Package: "./cmd/pebble-challtestsrv"}
)

// Helper addresses in the lab's /24: below the nodes (.11+), outside
// Docker's own range (.224/28) and the VIP (.250).
const (
	dnsHost  = 2
	acmeHost = 3
)

// Pebble's ports: the ACME API and its management API (which serves the
// issuing root, new on every start).
const (
	acmePort       = 14000
	acmeManagePort = 15000
)

func (l *Lab) acmeIP() string { return ipIn(l.Subnet, acmeHost) }
func (l *Lab) dnsIP() string  { return ipIn(l.Subnet, dnsHost) }

func ipIn(subnet string, host int) string {
	_, n, _ := net.ParseCIDR(subnet)
	return hostIP(n, host)
}

// acmeDirectory is the CA's ACME directory URL as the cluster file names it.
func (l *Lab) acmeDirectory() string {
	return fmt.Sprintf("https://%s:%d/dir", l.acmeIP(), acmePort)
}

// acmeTLSRootFile holds the root of the CA's own HTTPS endpoint (generated
// by the lab), which the controller must trust to talk to the CA; CAFile
// (ca.pem) is Pebble's issuing root, which clients of the cluster trust.
func (l *Lab) acmeTLSRootFile() string { return filepath.Join(l.StateDir, "acme-tls-root.pem") }
func (l *Lab) caFile() string          { return filepath.Join(l.StateDir, "ca.pem") }

// acmeSection is the cluster file's acme section for the lab's CA.
func (l *Lab) acmeSection() *config.ACME {
	return &config.ACME{Email: "admin@" + l.Name + ".lab", CAURL: l.acmeDirectory(), CARoots: l.acmeTLSRootFile()}
}

// ensureACME starts the lab's DNS and CA (once their images are built) and
// writes the CA's current issuing root to the lab's ca_file.
func ensureACME(ctx context.Context, cli *client.Client, l *Lab, builds *skimage.Builds, logf func(string, ...any)) error {
	images, err := builds.Wait(ctx, challtestsrvImage, pebbleImage)
	if err != nil {
		return buildFailed{err}
	}
	dnsImage, caImage := images[0], images[1]
	dns := helper{role: "dns", image: dnsImage, ip: l.dnsIP(), cmd: []string{
		"-defaultIPv4", vipIP(l.Subnet), "-defaultIPv6", "",
		"-dnsserver", ":53", "-management", ":8055",
		// Only DNS: the challenge servers would answer for the cluster.
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "",
	}}
	if _, err := dns.ensure(ctx, cli, l, nil); err != nil {
		return err
	}
	ca := helper{role: "acme", image: caImage, ip: l.acmeIP(),
		cmd: []string{"-config", "/etc/pebble/config.json", "-dnsserver", net.JoinHostPort(l.dnsIP(), "53")},
		env: []string{
			"PEBBLE_VA_NOSLEEP=1",      // validate at once, not after a random pause
			"PEBBLE_WFE_NONCEREJECT=0", // never reject a good nonce on purpose
			// Every order validates afresh, so the validations in its log
			// count the orders per name.
			"PEBBLE_AUTHZREUSE=0",
		}}
	created, err := ca.ensure(ctx, cli, l, func() ([]byte, error) { return pebbleFiles(l) })
	if err != nil {
		return err
	}
	if created {
		logf("ACME CA %s at %s (DNS %s answers every name with %s)", ContainerName(l.Name, "acme"), l.acmeDirectory(), l.dnsIP(), vipIP(l.Subnet))
	}
	root, err := fetchIssuingRoot(ctx, l)
	if err != nil {
		return err
	}
	if err := os.WriteFile(l.caFile(), root, 0o600); err != nil {
		return err
	}
	l.CAFile = l.caFile()
	return nil
}

// helper is a lab helper container NAME-ROLE at a fixed address.
type helper struct {
	role, image, ip string
	cmd, env        []string
}

// ensure creates and starts the helper (copying files into it first) or
// starts an existing one; it reports whether it created it.
func (h helper) ensure(ctx context.Context, cli *client.Client, l *Lab, files func() ([]byte, error)) (bool, error) {
	name := ContainerName(l.Name, h.role)
	if info, err := cli.ContainerInspect(ctx, name); err == nil {
		if info.Config.Image == h.image {
			if info.State.Running {
				return false, nil
			}
			return false, cli.ContainerStart(ctx, name, container.StartOptions{})
		}
		// A new image (skep or Pebble changed): replace the container.
		if err := cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true}); err != nil {
			return false, err
		}
	} else if !errdefs.IsNotFound(err) {
		return false, err
	}
	cfg := &container.Config{Image: h.image, Cmd: h.cmd, Env: h.env,
		Labels: map[string]string{labLabel: l.Name, "skep.lab.role": h.role}}
	host := &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped}}
	netCfg := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
		l.Network: {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: h.ip}},
	}}
	created, err := cli.ContainerCreate(ctx, cfg, host, netCfg, nil, name)
	if err != nil {
		return false, fmt.Errorf("create %s: %w", name, err)
	}
	if files != nil {
		tarball, err := files()
		if err != nil {
			return false, err
		}
		if err := cli.CopyToContainer(ctx, created.ID, "/", bytes.NewReader(tarball), container.CopyToContainerOptions{}); err != nil {
			return false, fmt.Errorf("copy files into %s: %w", name, err)
		}
	}
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return false, fmt.Errorf("start %s: %w (look inside with: docker logs %s)", name, err, name)
	}
	return true, nil
}

// pebbleConfig is Pebble's configuration: challenges are validated on the
// standard ports (80 through Traefik), certificates last 90 days as Let's
// Encrypt's do, and clients are told to poll again after 1 s.
func pebbleConfig() ([]byte, error) {
	return json.MarshalIndent(map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("0.0.0.0:%d", acmePort),
		"managementListenAddress":        fmt.Sprintf("0.0.0.0:%d", acmeManagePort),
		"certificate":                    "/etc/pebble/cert.pem",
		"privateKey":                     "/etc/pebble/key.pem",
		"httpPort":                       80,
		"tlsPort":                        443,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"profiles": map[string]any{"default": map[string]any{
			"description": "90 days, as Let's Encrypt", "validityPeriod": 90 * 24 * 3600,
		}},
	}}, "", "  ")
}

// pebbleFiles is the tar copied into the CA's container: its configuration
// and a certificate for its HTTPS endpoint at its lab address, signed by a
// root made here and written to acmeTLSRootFile for the controller to
// trust. Both are made anew with each container.
func pebbleFiles(l *Lab) ([]byte, error) {
	rootPEM, certPEM, keyPEM, err := endpointCert(l.acmeIP())
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(l.acmeTLSRootFile(), rootPEM, 0o600); err != nil {
		return nil, err
	}
	cfg, err := pebbleConfig()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{"etc/pebble/config.json", cfg}, {"etc/pebble/cert.pem", certPEM}, {"etc/pebble/key.pem", keyPEM}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Now()}); err != nil {
			return nil, err
		}
		tw.Write(f.data)
	}
	return buf.Bytes(), tw.Close()
}

// endpointCert makes a root and a server certificate for ip, valid for a
// year (a lab lives hours).
func endpointCert(ip string) (rootPEM, certPEM, keyPEM []byte, err error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	root := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "skep lab ACME endpoint root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		return nil, nil, nil, err
	}
	root, _ = x509.ParseCertificate(rootDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano() + 1), Subject: pkix.Name{CommonName: ip},
		IPAddresses: []net.IP{net.ParseIP(ip)}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, root, &key.PublicKey, rootKey)
	if err != nil {
		return nil, nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// fetchIssuingRoot reads Pebble's issuing root from its management API,
// waiting for Pebble to come up (it makes its keys at start).
func fetchIssuingRoot(ctx context.Context, l *Lab) ([]byte, error) {
	rootPEM, err := os.ReadFile(l.acmeTLSRootFile())
	if err != nil {
		return nil, fmt.Errorf("the lab CA's endpoint root: %w (run skep lab down and up again)", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootPEM)
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, Proxy: nil}}
	url := fmt.Sprintf("https://%s:%d/roots/0", l.acmeIP(), acmeManagePort)
	var root []byte
	err = poll.Until(ctx, "the lab CA's issuing root ("+url+")", 300*time.Millisecond, 30*time.Second, func(ctx context.Context) error {
		body, err := func() ([]byte, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return nil, err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s", resp.Status)
			}
			return b, err
		}()
		if err != nil {
			return err
		}
		if blk, _ := pem.Decode(body); blk == nil || blk.Type != "CERTIFICATE" {
			return fmt.Errorf("no PEM certificate in the answer")
		}
		root = body
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w (look inside with: docker logs %s)", err, ContainerName(l.Name, "acme"))
	}
	return root, nil
}
