package controller

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeIssuer stands in for the CA: it issues from a testCA and counts
// orders per name set.
type fakeIssuer struct {
	ca     *testCA
	valid  time.Duration
	fail   error
	orders map[string]int
}

func (f *fakeIssuer) Account() string { return "https://ca.test/acct/1" }

func (f *fakeIssuer) Obtain(names NameSet) (*Certificate, error) {
	f.orders[names.Key()]++
	if f.fail != nil {
		return nil, f.fail
	}
	c, k := f.ca.issue(names, f.valid)
	return parseCertificate(names, c, k, time.Now())
}

type rig struct {
	c       *controller
	iss     *fakeIssuer
	routers []NameSet
	dir     string
	now     time.Time
}

func newRig(t *testing.T, dir string, names ...string) *rig {
	st, err := newStore(dir, "https://ca.test/dir")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{dir: dir, now: time.Now(), iss: &fakeIssuer{ca: newTestCA(t), valid: 90 * 24 * time.Hour, orders: map[string]int{}}}
	h, _ := st.loadOrders()
	r.c = &controller{
		cfg: Config{CAURL: "https://ca.test/dir", Email: "ops@example.com", Names: names, SelfURL: DefaultSelfURL, HTTPEntryPoint: "web",
			RenewBefore: DefaultRenewBefore},
		store: st, handler: testHandler(t), limits: DefaultLimits, history: h,
		now: func() time.Time { return r.now }, logf: t.Logf,
		routerSets: func(context.Context) ([]NameSet, error) { return r.routers, nil },
		newIssuer: func() (issuer, error) {
			// As the lego issuer does: the registered account is stored.
			return r.iss, st.saveAccount(&account{Email: "ops@example.com", KeyPEM: "KEY", URI: r.iss.Account()})
		},
	}
	return r
}

func (r *rig) status(t *testing.T) Status {
	var s Status
	data, err := os.ReadFile(filepath.Join(r.dir, StatusFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOneOrderPerNameSetAndRestart(t *testing.T) {
	dir := t.TempDir()
	r := newRig(t, dir, "whoami.skep.lab")
	r.routers = []NameSet{{"whoami.skep.lab"}, {"api.skep.lab"}}
	for i := 0; i < 3; i++ {
		r.c.step(context.Background())
		r.now = r.now.Add(10 * time.Second)
	}
	if r.iss.orders["whoami.skep.lab"] != 1 || r.iss.orders["api.skep.lab"] != 1 || len(r.iss.orders) != 2 {
		t.Fatalf("orders %v, want one per name", r.iss.orders)
	}
	st := r.status(t)
	if len(st.Certificates) != 2 || st.Certificates[1].Names[0] != "whoami.skep.lab" || st.Account == "" {
		t.Fatalf("status %+v", st)
	}
	serial := st.Certificates[1].Serial

	// A controller started on another node over the same volume orders
	// nothing and serves the same certificate at once.
	r2 := newRig(t, dir, "whoami.skep.lab")
	r2.routers = r.routers
	r2.c.start()
	cfg := served(t, r2.c.handler)
	if n := len(cfg.TLS.Certificates); n != 2 {
		t.Fatalf("restarted controller serves %d certificates before any step, want 2", n)
	}
	r2.c.step(context.Background())
	if len(r2.iss.orders) != 0 {
		t.Fatalf("restarted controller ordered %v", r2.iss.orders)
	}
	st2 := r2.status(t)
	if got := st2.Certificates[1].Serial; got != serial {
		t.Fatalf("serial changed from %s to %s", serial, got)
	}
	if st2.Account != st.Account {
		t.Fatalf("account %q after the restart, was %q", st2.Account, st.Account)
	}
}

func TestRenewalThirtyDaysBeforeExpiry(t *testing.T) {
	r := newRig(t, t.TempDir(), "a.x.org")
	r.c.step(context.Background())
	r.now = r.now.Add(59 * 24 * time.Hour)
	r.c.step(context.Background())
	if n := r.iss.orders["a.x.org"]; n != 1 {
		t.Fatalf("renewed with 31 days left: %d orders", n)
	}
	r.now = r.now.Add(2 * 24 * time.Hour)
	r.c.step(context.Background())
	if n := r.iss.orders["a.x.org"]; n != 2 {
		t.Fatalf("not renewed with 29 days left: %d orders", n)
	}
}

func TestFailureBacksOffAndIsReported(t *testing.T) {
	r := newRig(t, t.TempDir(), "a.x.org")
	r.iss.fail = errors.New("acme: error: 403 :: urn:ietf:params:acme:error:unauthorized :: Invalid response from http://a.x.org/.well-known/acme-challenge/x: 404")
	r.c.step(context.Background())
	r.now = r.now.Add(30 * time.Second)
	r.c.step(context.Background()) // inside the 1-minute backoff
	if n := r.iss.orders["a.x.org"]; n != 1 {
		t.Fatalf("%d orders inside the backoff, want 1", n)
	}
	st := r.status(t)
	if len(st.Failures) != 1 || !strings.Contains(st.Failures[0].Error, "unauthorized") || st.Failures[0].NextAttempt.IsZero() {
		t.Fatalf("failures %+v", st.Failures)
	}
	r.now = r.now.Add(31 * time.Second)
	r.c.step(context.Background())
	if n := r.iss.orders["a.x.org"]; n != 2 {
		t.Fatalf("%d orders after the backoff, want 2", n)
	}
	// The history is on disk: a new controller keeps backing off (now 2 min).
	r2 := newRig(t, r.dir, "a.x.org")
	r2.now = r.now.Add(90 * time.Second)
	r2.c.step(context.Background())
	if len(r2.iss.orders) != 0 {
		t.Fatalf("restarted controller ignored the backoff: %v", r2.iss.orders)
	}
}

func TestRouterOutageKeepsNames(t *testing.T) {
	r := newRig(t, t.TempDir())
	r.routers = []NameSet{{"a.x.org"}}
	r.c.step(context.Background())
	r.c.routerSets = func(context.Context) ([]NameSet, error) { return nil, errors.New("connection refused") }
	r.now = r.now.Add(61 * 24 * time.Hour)
	r.c.step(context.Background())
	if n := r.iss.orders["a.x.org"]; n != 2 {
		t.Fatalf("a name seen before the outage was not renewed: %d orders", n)
	}
}

// A CA that cannot be reached backs off like a failed order, and the
// failure says what went wrong.
func TestUnreachableCABacksOff(t *testing.T) {
	r := newRig(t, t.TempDir(), "a.x.org")
	calls := 0
	r.c.newIssuer = func() (issuer, error) {
		calls++
		return nil, errors.New("get directory at 'https://ca.test/dir': dial tcp: connection refused")
	}
	for i := 0; i < 5; i++ {
		r.c.step(context.Background())
		r.now = r.now.Add(10 * time.Second)
	}
	if calls != 1 {
		t.Fatalf("%d attempts to reach the CA within 50 s, want 1 (backoff)", calls)
	}
	st := r.status(t)
	if len(st.Failures) != 1 || !strings.Contains(st.Failures[0].Error, "ACME account: get directory") {
		t.Fatalf("failures %+v", st.Failures)
	}
}
