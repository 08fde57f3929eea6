package lab

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"testing"
)

// The CA's endpoint certificate verifies for its lab address against the
// root the controller is given, and for nothing else.
func TestEndpointCert(t *testing.T) {
	rootPEM, certPEM, keyPEM, err := endpointCert("10.213.0.3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		t.Fatal("root is not PEM")
	}
	b, _ := pem.Decode(certPEM)
	leaf, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "10.213.0.3"}); err != nil {
		t.Fatalf("does not verify for its address: %v", err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "10.213.0.4"}); err == nil {
		t.Fatal("verifies for another address")
	}
}

// Pebble validates on the standard ports (80 reaches the cluster's
// Traefik through the VIP) and issues 90-day certificates.
func TestPebbleConfig(t *testing.T) {
	data, err := pebbleConfig()
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Pebble struct {
			HTTPPort int `json:"httpPort"`
			Profiles map[string]struct {
				ValidityPeriod int `json:"validityPeriod"`
			} `json:"profiles"`
			Certificate string `json:"certificate"`
		} `json:"pebble"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Pebble.HTTPPort != 80 || c.Pebble.Profiles["default"].ValidityPeriod != 90*24*3600 || c.Pebble.Certificate == "" {
		t.Fatalf("config %s", data)
	}
}

func TestHelperAddresses(t *testing.T) {
	l := &Lab{Subnet: "10.213.7.0/24"}
	if l.acmeIP() != "10.213.7.3" || l.dnsIP() != "10.213.7.2" || l.acmeDirectory() != "https://10.213.7.3:14000/dir" {
		t.Fatalf("%s %s %s", l.acmeIP(), l.dnsIP(), l.acmeDirectory())
	}
	_, n, _ := net.ParseCIDR(l.Subnet)
	for _, ip := range []string{l.acmeIP(), l.dnsIP()} {
		if p := net.ParseIP(ip); !n.Contains(p) || p.To4()[3] >= firstNodeHost {
			t.Fatalf("%s collides with node addresses", ip)
		}
	}
}
