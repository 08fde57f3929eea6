package config

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// ACME directory URLs of Let's Encrypt, which ca_url may name by word.
const (
	LetsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging    = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// ACME is how the controller gets certificates for the cluster's names:
// one ACME account (on the shared volume) and one certificate per name set,
// for every name in a service's Traefik Host() rule and every name listed
// here.
type ACME struct {
	// Email is the account's contact; the CA writes to it about expiring
	// certificates and policy changes. Required.
	Email string `yaml:"email"`
	// CAURL is the CA's ACME directory: "production" (the default) or
	// "staging" for Let's Encrypt's, or an https:// URL of another CA.
	// Defaults turn the words into URLs.
	CAURL string `yaml:"ca_url,omitempty"`
	// Names get certificates even if no router rule mentions them.
	Names []string `yaml:"names,omitempty"`
	// CARoots is a PEM file of extra roots for the CA's own HTTPS endpoint
	// (a private CA such as the lab's); public CAs need none.
	CARoots string `yaml:"ca_roots,omitempty"`
}

func (c *Cluster) acmeDefaults() {
	a := c.ACME
	if a == nil {
		return
	}
	switch a.CAURL {
	case "", "production":
		a.CAURL = LetsEncryptProduction
	case "staging":
		a.CAURL = LetsEncryptStaging
	}
	a.CARoots = c.resolve(a.CARoots)
}

// acmeNameRE is a name an HTTP-01 order can prove: at least two DNS labels,
// no wildcard (wildcards need DNS-01).
var acmeNameRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func (v *validator) acme() {
	a := v.c.ACME
	if a == nil {
		return
	}
	if a.Email == "" {
		v.add("acme.email", "required: the ACME account's contact email, e.g. ops@example.com (the CA sends expiry warnings there)")
	} else if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email || !strings.Contains(a.Email[strings.IndexByte(a.Email, '@')+1:], ".") {
		v.add("acme.email", "%q is not an email address; use a plain address such as ops@example.com", a.Email)
	}
	switch a.CAURL {
	case "", "production", "staging", LetsEncryptProduction, LetsEncryptStaging:
	default:
		if u, err := url.Parse(a.CAURL); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("acme.ca_url", "%q is not an ACME directory; use production (Let's Encrypt, the default), staging, or an https:// URL", a.CAURL)
		}
	}
	seen := map[string]int{}
	for i, n := range a.Names {
		p := fmt.Sprintf("acme.names[%d]", i)
		switch {
		case len(n) > 253 || !acmeNameRE.MatchString(n):
			v.add(p, "%q is not a name a certificate can be ordered for; use a lower-case DNS name such as www.example.com (no wildcard: HTTP-01 cannot prove one)", n)
		default:
			if j, dup := seen[n]; dup {
				v.add(p, "%q is already listed at acme.names[%d]", n, j)
			}
			seen[n] = i
		}
	}
	if a.CARoots != "" {
		abs := v.c.resolve(a.CARoots)
		if data, err := os.ReadFile(abs); err != nil {
			v.add("acme.ca_roots", "cannot read %s (%v); give a PEM file of the CA's root certificates, or leave it unset for a public CA", abs, err)
		} else if !hasPEMCert(data) {
			v.add("acme.ca_roots", "%s holds no PEM certificate; give the CA's root certificate in PEM form", abs)
		}
	}
	if v.c.Ingress == nil {
		v.add("acme", "needs the ingress section: every Traefik routes the CA's challenges to the controller and serves its certificates; add ingress: {}")
	}
	// Even with one manager: a node's local disk is lost with the node, and
	// a lost account means new orders against the CA's rate limits.
	if v.c.Storage == nil {
		v.add("acme", "needs storage: the ACME account and certificates must survive a node, so the controller keeps them on replicated storage; add storage: {}")
	}
}

func hasPEMCert(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(b.Bytes); err == nil {
				return true
			}
		}
	}
}
