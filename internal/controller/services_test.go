package controller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestServiceReader reads services the way the socket proxy serves them.
func TestServiceReader(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/"+dockerAPIVersion+"/services" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Write([]byte(`[{"ID":"x","Spec":{"Name":"whoami","Labels":{"traefik.enable":"true",
			"traefik.http.routers.whoami.rule":"Host(` + "`whoami.skep.lab`" + `)"}}},
			{"ID":"y","Spec":{"Name":"db","Labels":{}}}]`))
	}))
	defer srv.Close()
	r, err := newServiceReader("tcp://" + strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.nameSets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []NameSet{{"whoami.skep.lab"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := newServiceReader("unix:///var/run/docker.sock"); err == nil {
		t.Fatal("a unix socket was accepted: the controller must go through the proxy")
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"--state-dir", "/srv/skep/controller", "--ca-url", "https://ca/dir", "--email", "a@x.org", "--names", "a.x.org, b.x.org", "--token-file", "/run/secrets/skep-controller-token"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Names, []string{"a.x.org", "b.x.org"}) || c.StateDir != "/srv/skep/controller" || c.RenewBefore != DefaultRenewBefore {
		t.Fatalf("%+v", c)
	}
	if _, err := parseFlags(nil, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "--ca-url and --email and --state-dir and --token-file") {
		t.Fatalf("missing flags: %v", err)
	}
}
