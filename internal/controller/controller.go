package controller

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// controller keeps one certificate per wanted name set, for the whole
// cluster, and publishes them to every Traefik.
type controller struct {
	cfg     Config
	store   *store
	handler *handler
	limits  Limits
	now     func() time.Time
	logf    func(string, ...any)

	// routerSets lists the name sets found in services' router rules; it
	// is kept when the Docker API cannot be read, so a passing outage of
	// the socket proxy does not make certificates look unwanted.
	routerSets func(ctx context.Context) ([]NameSet, error)
	// newIssuer connects to the CA; it is retried until it works.
	newIssuer func() (issuer, error)

	iss       issuer
	issuerErr error
	// account is the stored account's URI, reported before the issuer is
	// needed: a controller restarted elsewhere connects to the CA only
	// when it has something to order.
	account     string
	lastRouters []NameSet
	history     []Attempt
	failures    map[string]Failure
	lastStatus  time.Time
	lastCerts   string
}

// start serves what is stored at once, before any order: a controller
// restarted elsewhere hands Traefik the same certificates right away, and
// reports the same account.
func (c *controller) start() {
	certs, err := c.store.certs()
	if err != nil {
		c.logf("reading stored certificates: %v", err)
	}
	c.publish(certs)
	if acc, err := c.store.loadAccount(); err != nil {
		c.logf("reading the stored account: %v", err)
	} else if acc != nil && acc.Email == c.cfg.Email {
		c.account = acc.URI
	}
	c.logf("serving %d stored certificate(s); ACME directory %s, account %s", len(c.serving(certs)), c.cfg.CAURL, orNone(c.account))
}

// step does one round: learn the wanted names, order what is missing or
// due for renewal (as the limits allow), publish certificates, write the
// status. It returns when every order of the round has finished.
func (c *controller) step(ctx context.Context) {
	if sets, err := c.routerSets(ctx); err != nil {
		c.logf("reading services' router rules: %v (keeping the %d name set(s) seen before)", err, len(c.lastRouters))
	} else {
		c.lastRouters = sets
	}
	want, invalid := desiredSets(c.cfg.Names, c.lastRouters)
	now := c.now()
	failures := map[string]Failure{}
	for _, n := range invalid {
		f := Failure{Names: []string{n}, At: now,
			Error: "not a name an HTTP-01 order can prove (a DNS name with at least two labels, no wildcard); fix the router rule or acme.names"}
		if old, ok := c.failures["invalid:"+n]; ok {
			f.At = old.At // unchanged news: status.json is not rewritten for it
		}
		failures["invalid:"+n] = f
	}

	certs, err := c.store.certs()
	if err != nil {
		c.logf("reading stored certificates: %v", err)
	}
	for _, s := range want {
		if ctx.Err() != nil {
			return
		}
		if cert := coveringCert(certs, s); cert != nil && cert.NotAfter.Sub(now) > c.cfg.RenewBefore {
			continue
		}
		if next, why := c.limits.NextOrder(s.Key(), c.history, now); next.After(now) {
			if f, ok := c.failures[s.Key()]; ok {
				f.NextAttempt = next
				failures[s.Key()] = f
			} else {
				c.logf("%s: order deferred until %s: %s", s.Key(), next.Format(time.RFC3339), why)
			}
			continue
		}
		cert, err := c.order(s)
		if err != nil {
			c.logf("%s: order failed: %v", s.Key(), err)
			next, _ := c.limits.NextOrder(s.Key(), c.history, c.now())
			failures[s.Key()] = Failure{Names: s, Error: err.Error(), At: c.now(), NextAttempt: next}
			continue
		}
		c.logf("%s: certificate issued by %s, serial %s, valid until %s", s.Key(), cert.Issuer, cert.Serial, cert.NotAfter.Format(time.RFC3339))
		certs = replaceCert(certs, cert)
	}
	c.failures = failures
	c.publish(certs)
	c.writeStatus(certs)
}

// order places one order and records it in the history, failed or not,
// so the limits hold across restarts; a CA that cannot be reached or
// refuses the account backs off like a failed order.
func (c *controller) order(s NameSet) (*Certificate, error) {
	cert, err := c.obtain(s)
	a := Attempt{Key: s.Key(), At: c.now(), OK: err == nil}
	if err != nil {
		a.Err = err.Error()
	}
	c.history = append(prune(c.history, c.now()), a)
	if serr := c.store.saveOrders(c.history); serr != nil {
		c.logf("saving the order history: %v", serr)
	}
	return cert, err
}

func (c *controller) obtain(s NameSet) (*Certificate, error) {
	if c.iss == nil {
		iss, err := c.newIssuer()
		if err != nil {
			return nil, fmt.Errorf("ACME account: %w", err)
		}
		c.iss = iss
	}
	c.logf("%s: ordering a certificate", s.Key())
	cert, err := c.iss.Obtain(s)
	if err != nil {
		return nil, err
	}
	if err := c.store.saveCert(cert); err != nil {
		return nil, fmt.Errorf("certificate issued but not saved: %w", err)
	}
	return cert, nil
}

// coveringCert is the stored certificate for s that lives longest.
func coveringCert(certs []*Certificate, s NameSet) *Certificate {
	var best *Certificate
	for _, c := range certs {
		if s.coveredBy(c.Names) && (best == nil || c.NotAfter.After(best.NotAfter)) {
			best = c
		}
	}
	return best
}

func replaceCert(certs []*Certificate, n *Certificate) []*Certificate {
	out := []*Certificate{n}
	for _, c := range certs {
		if c.Names.Key() != n.Names.Key() {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Names.Key() < out[j].Names.Key() })
	return out
}

// serving drops expired certificates: Traefik would present them and every
// client would refuse them, while its default certificate says plainly
// that none is there.
func (c *controller) serving(certs []*Certificate) []*Certificate {
	var out []*Certificate
	for _, cert := range certs {
		if cert.NotAfter.After(c.now()) {
			out = append(out, cert)
		}
	}
	return out
}

func (c *controller) publish(certs []*Certificate) {
	cfg, err := traefikConfig(c.serving(certs), c.cfg.SelfURL, c.cfg.HTTPEntryPoint)
	if err != nil {
		c.logf("building Traefik's configuration: %v", err)
		return
	}
	c.handler.publish(cfg)
}

// writeStatus rewrites status.json when something changed, and at least
// every StatusInterval as a sign of life.
func (c *controller) writeStatus(certs []*Certificate) {
	st := &Status{Updated: c.now().UTC(), CA: c.cfg.CAURL, Certificates: []CertStatus{}}
	st.Account = c.account
	if c.iss != nil {
		st.Account = c.iss.Account()
	}
	for _, cert := range c.serving(certs) {
		st.Certificates = append(st.Certificates, CertStatus{Names: cert.Names, NotAfter: cert.NotAfter, Issuer: cert.Issuer, Serial: cert.Serial})
	}
	var keys []string
	for k := range c.failures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		st.Failures = append(st.Failures, c.failures[k])
	}
	sig := fmt.Sprintf("%s %v %v", st.Account, st.Certificates, st.Failures)
	if sig == c.lastCerts && st.Updated.Sub(c.lastStatus) < StatusInterval {
		return
	}
	if err := c.store.saveStatus(st); err != nil {
		c.logf("writing %s: %v", StatusFile, err)
		return
	}
	c.lastCerts, c.lastStatus = sig, st.Updated
}
