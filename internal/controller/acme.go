package controller

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-acme/lego/v4/certcrypto"
	"github.com/go-acme/lego/v4/certificate"
	"github.com/go-acme/lego/v4/lego"
	"github.com/go-acme/lego/v4/registration"
)

// issuer orders certificates; the lego-backed one talks to the CA, tests
// use their own.
type issuer interface {
	// Obtain places one order for names and returns the certificate.
	Obtain(names NameSet) (*Certificate, error)
	// Account is the account URI, once registered.
	Account() string
}

// acmeUser is the ACME account as lego wants it.
type acmeUser struct {
	email string
	key   crypto.PrivateKey
	reg   *registration.Resource
}

func (u *acmeUser) GetEmail() string                        { return u.email }
func (u *acmeUser) GetRegistration() *registration.Resource { return u.reg }
func (u *acmeUser) GetPrivateKey() crypto.PrivateKey        { return u.key }

// legoIssuer orders with HTTP-01, answering challenges from the
// controller's own HTTP server (through every Traefik).
type legoIssuer struct {
	store  *store
	caURL  string
	user   *acmeUser
	client *lego.Client
	logf   func(string, ...any)
}

// newLegoIssuer loads the account from the store (or creates its key) and
// registers it with the CA when it has no URI yet. roots, if set, is a PEM
// file of extra roots to trust for the CA's own HTTPS endpoint (a lab CA).
func newLegoIssuer(st *store, caURL, email, roots string, chal *challenges, logf func(string, ...any)) (*legoIssuer, error) {
	acc, err := st.loadAccount()
	if err != nil {
		return nil, err
	}
	if acc == nil || acc.Email != email {
		// A new account for a new email: the CA's contact and the key go
		// together, and the old account is left as it was.
		key, err := certcrypto.GeneratePrivateKey(certcrypto.EC256)
		if err != nil {
			return nil, err
		}
		acc = &account{Email: email, KeyPEM: string(certcrypto.PEMEncode(key))}
		if err := st.saveAccount(acc); err != nil {
			return nil, fmt.Errorf("save the new account key: %w", err)
		}
		logf("created a new account key for %s", email)
	}
	key, err := certcrypto.ParsePEMPrivateKey([]byte(acc.KeyPEM))
	if err != nil {
		return nil, fmt.Errorf("account key in %s: %w", st.ca, err)
	}
	user := &acmeUser{email: email, key: key}
	if acc.URI != "" {
		user.reg = &registration.Resource{URI: acc.URI}
	}
	cfg := lego.NewConfig(user)
	cfg.CADirURL = caURL
	cfg.UserAgent = "skepd"
	cfg.Certificate.KeyType = certcrypto.EC256
	if cfg.HTTPClient, err = httpClient(roots); err != nil {
		return nil, err
	}
	client, err := lego.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("ACME directory %s: %w", caURL, err)
	}
	if err := client.Challenge.SetHTTP01Provider(chal); err != nil {
		return nil, err
	}
	li := &legoIssuer{store: st, caURL: caURL, user: user, client: client, logf: logf}
	if user.reg == nil {
		if err := li.register(); err != nil {
			return nil, err
		}
	}
	return li, nil
}

func (li *legoIssuer) register() error {
	reg, err := li.client.Registration.Register(registration.RegisterOptions{TermsOfServiceAgreed: true})
	if err != nil {
		return fmt.Errorf("register the ACME account for %s: %w", li.user.email, err)
	}
	li.user.reg = reg
	acc := &account{Email: li.user.email, KeyPEM: string(certcrypto.PEMEncode(li.user.key)), URI: reg.URI}
	if err := li.store.saveAccount(acc); err != nil {
		return fmt.Errorf("save the account: %w", err)
	}
	li.logf("registered ACME account %s", reg.URI)
	return nil
}

func (li *legoIssuer) Account() string {
	if li.user.reg == nil {
		return ""
	}
	return li.user.reg.URI
}

func (li *legoIssuer) Obtain(names NameSet) (*Certificate, error) {
	res, err := li.client.Certificate.Obtain(certificate.ObtainRequest{Domains: names, Bundle: true})
	if err != nil && strings.Contains(err.Error(), "accountDoesNotExist") {
		// The CA forgot the account (a lab CA restarted): register the
		// same key again and retry once.
		li.user.reg = nil
		if rerr := li.register(); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		res, err = li.client.Certificate.Obtain(certificate.ObtainRequest{Domains: names, Bundle: true})
	}
	if err != nil {
		return nil, err
	}
	return parseCertificate(names, res.Certificate, res.PrivateKey, time.Now())
}

// parseCertificate reads the leaf of a PEM bundle for what status shows.
func parseCertificate(names NameSet, certPEM, keyPEM []byte, now time.Time) (*Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return nil, fmt.Errorf("the CA returned no PEM certificate")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the CA returned a bad certificate: %w", err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return nil, fmt.Errorf("certificate and key do not match: %w", err)
	}
	issuer := leaf.Issuer.CommonName
	if issuer == "" {
		issuer = leaf.Issuer.String()
	}
	return &Certificate{
		Names: names, CertPEM: string(certPEM), KeyPEM: string(keyPEM),
		NotAfter: leaf.NotAfter.UTC(), Issuer: issuer, Serial: hex.EncodeToString(leaf.SerialNumber.Bytes()),
		Obtained: now.UTC(),
	}, nil
}

// httpClient talks to the CA: system roots plus, for a lab CA, the roots
// in the given file.
func httpClient(roots string) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if roots != "" {
		data, err := os.ReadFile(roots)
		if err != nil {
			return nil, fmt.Errorf("CA roots file: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("CA roots file %s holds no PEM certificate", roots)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}, nil
}
