package status

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"skep/internal/config"
	"skep/internal/controller"
	"skep/internal/storage"
)

func withACME(f Facts) Facts {
	f.File = &config.Cluster{Name: f.Cluster, ACME: &config.ACME{Email: "a@x.org"}}
	return f
}

func certsRead(h HostFacts, st *controller.Status, readAt time.Time) HostFacts {
	h.Certificates = &HostCertificates{Status: st, ReadAt: readAt}
	return h
}

var ct0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func goodStatus(updated time.Time) *controller.Status {
	return &controller.Status{Updated: updated, CA: "https://ca/dir", Certificates: []controller.CertStatus{
		{Names: []string{"whoami.skep.lab"}, NotAfter: ct0.Add(89 * 24 * time.Hour), Issuer: "Pebble Intermediate CA 1a2b3c", Serial: "0a"},
	}}
}

func TestCertificatesHealthy(t *testing.T) {
	l := healthyList()
	// node2's copy is older (read during a write elsewhere): the freshest wins.
	old := goodStatus(ct0.Add(-2 * time.Minute))
	old.Certificates = nil
	r := Build(withACME(facts(certsRead(up(1, true, l...), goodStatus(ct0.Add(-10*time.Second)), ct0),
		certsRead(up(2, true, l...), old, ct0), up(3, true, l...))))
	if !r.Healthy || len(r.Certificates) != 1 || r.Certificates[0].Names[0] != "whoami.skep.lab" || r.Certificates[0].Issuer == "" {
		t.Fatalf("healthy %v certs %+v problems %v", r.Healthy, r.Certificates, r.Problems)
	}
	data, _ := json.Marshal(r)
	if !strings.Contains(string(data), `"certificates":[{"names":["whoami.skep.lab"],"not_after":"2027-02-27T12:00:00Z","issuer":"Pebble Intermediate CA 1a2b3c"}]`) {
		t.Fatalf("JSON: %s", data)
	}
	var buf bytes.Buffer
	r.WriteText(&buf)
	if !strings.Contains(buf.String(), "whoami.skep.lab  until 2027-02-27 12:00  issuer Pebble Intermediate CA 1a2b3c") {
		t.Fatalf("text:\n%s", buf.String())
	}
}

func TestCertificatesProblems(t *testing.T) {
	l := healthyList()
	failing := goodStatus(ct0.Add(-time.Minute))
	failing.Failures = []controller.Failure{{Names: []string{"api.skep.lab"}, At: ct0,
		Error:       "acme: error: 403 :: urn:ietf:params:acme:error:unauthorized :: Invalid response",
		NextAttempt: ct0.Add(2 * time.Minute)}}
	failing.Certificates[0].NotAfter = ct0.Add(5 * 24 * time.Hour)
	cases := []struct {
		name string
		f    Facts
		want []string
	}{
		{"failing order and expiry", withACME(facts(certsRead(up(1, true, l...), failing, ct0), up(2, true, l...), up(3, true, l...))),
			[]string{"certificates: whoami.skep.lab expires in 120h0m0s", "certificates: api.skep.lab: acme: error: 403 :: urn:ietf:params:acme:error:unauthorized :: Invalid response (next attempt 2026-11-30T12:02:00Z)"}},
		{"stale status", withACME(facts(certsRead(up(1, true, l...), goodStatus(ct0.Add(-10*time.Minute)), ct0), up(2, true, l...), up(3, true, l...))),
			[]string{"certificates: the controller last wrote its status 10m0s ago; is it running?"}},
		{"no status yet", withACME(facts(func() HostFacts {
			h := up(1, true, l...)
			h.Certificates = &HostCertificates{Missing: true}
			return h
		}(), up(2, true, l...), up(3, true, l...))),
			[]string{"certificates: the controller has not written its status file yet"}},
		{"unreadable", withACME(facts(func() HostFacts {
			h := up(1, true, l...)
			h.Certificates = &HostCertificates{Err: errors.New("read /srv/skep/controller/status.json: Transport endpoint is not connected")}
			return h
		}(), up(2, true, l...), up(3, true, l...))),
			[]string{"certificates: the controller's status could not be read (node1: read /srv/skep/controller/status.json: Transport endpoint is not connected)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Build(c.f)
			if r.Healthy {
				t.Fatal("healthy")
			}
			var got []string
			for _, p := range r.Problems {
				if strings.HasPrefix(p, "certificates:") {
					got = append(got, p)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("problems %q, want %q", got, c.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("problem %q, want prefix %q", got[i], c.want[i])
				}
			}
		})
	}
}

// The status file is read where the cluster file puts the controller's
// state: on skep's own volume, whatever storage.mount is.
func TestControllerStatusPathFollowsStorage(t *testing.T) {
	c := &config.Cluster{ACME: &config.ACME{Email: "a@x.org"}, Storage: &config.Storage{Mount: "/srv/data", SystemMount: "/srv/skep"}}
	if got := controllerStatusPath(c); got != "/srv/skep/controller/status.json" {
		t.Fatalf("status path %s", got)
	}
	c.ACME = nil
	if got := controllerStatusPath(c); got != "" {
		t.Fatalf("status path without acme %q", got)
	}
}

func TestNoACMENoCertificates(t *testing.T) {
	l := healthyList()
	r := Build(facts(up(1, true, l...), up(2, true, l...), up(3, true, l...)))
	if r.Certificates != nil {
		t.Fatalf("certificates %+v without acme", r.Certificates)
	}
	data, _ := json.Marshal(r)
	if strings.Contains(string(data), "certificates") {
		t.Fatalf("JSON has a certificates section: %s", data)
	}
}

func TestParseControllerStatus(t *testing.T) {
	st, err := parseControllerStatus(`{"updated":"2026-11-30T12:00:00Z","ca":"x","certificates":[{"names":["a.x.org"],"not_after":"2027-01-01T00:00:00Z","issuer":"I","serial":"1"}]}`)
	if err != nil || len(st.Certificates) != 1 || st.Certificates[0].Issuer != "I" {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := parseControllerStatus("not json"); err == nil {
		t.Fatal("garbage parsed")
	}
}

// A status file no manager read in time (the mount stalls while a peer is
// frozen) is not known; one manager's fresh read is enough.
func TestCertificatesNotKnown(t *testing.T) {
	l := healthyList()
	slow := func(h HostFacts) HostFacts {
		h.Certificates = &HostCertificates{Err: fmt.Errorf("read %s: %w", "/var/lib/skep-system/controller/status.json", &storage.NoAnswer{After: "1.5s"}), ReadAt: ct0}
		return h
	}
	r := Build(withACME(facts(slow(up(1, true, l...)), slow(up(2, true, l...)), slow(up(3, true, l...)))))
	wantProblems(t, r)
	wantUnknown(t, r, "certificates: the controller's status is not known (node1: read /var/lib/skep-system/controller/status.json: no answer in 1.5s; "+
		"node2: read /var/lib/skep-system/controller/status.json: no answer in 1.5s; node3: read /var/lib/skep-system/controller/status.json: no answer in 1.5s)")

	r = Build(withACME(facts(slow(up(1, true, l...)), certsRead(up(2, true, l...), goodStatus(ct0), ct0), slow(up(3, true, l...)))))
	wantProblems(t, r)
	wantUnknown(t, r)
	if len(r.Certificates) != 1 {
		t.Errorf("certificates %+v", r.Certificates)
	}
}
