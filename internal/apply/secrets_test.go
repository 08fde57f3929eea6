package apply

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
	"golang.org/x/crypto/bcrypt"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/ingress"
)

// recordingManager is a swarm manager that records the secrets created
// through it; calls other than fakeDocker's panic, so a step that does
// more than it says fails the test.
type recordingManager struct {
	*fakeDocker
	secrets []swarm.SecretSpec
}

func (m *recordingManager) SecretCreate(_ context.Context, s swarm.SecretSpec) (swarm.SecretCreateResponse, error) {
	m.secrets = append(m.secrets, s)
	return swarm.SecretCreateResponse{ID: "id-" + s.Name}, nil
}

// An apply that makes the controller's token and the Traefik API password
// (recorded state: a converged ingress lacking both secrets) puts neither
// into the progress log: the token only into its secret, the password
// into a 0600 file whose path is logged, and only its hash into the swarm.
func TestSecretsNeverInProgressLog(t *testing.T) {
	c := testCluster("manager", "manager", "manager")
	c.Ingress = &config.Ingress{API: true, APIPort: 8080}
	var log strings.Builder
	mgr := &recordingManager{fakeDocker: &fakeDocker{sw: inSwarm("id-node1", true)}}
	dir := filepath.Join(t.TempDir(), "secrets")
	e := &env{cluster: c, facts: converged(c), result: &Result{},
		hosts: map[string]host.Node{"node1": &fakeNode{name: "node1", address: "127.0.0.11", docker: mgr}},
		opts:  Options{Wet: true, SecretDir: dir, Logf: func(h, f string, a ...any) { fmt.Fprintf(&log, h+": "+f+"\n", a...) }}}
	e.gate = &gate{wet: true, logf: e.logf, result: e.result}
	_, w := ingressEnv(true, "")
	st := convergedIngress(w)
	st.secret, st.token = false, false

	steps := ingressSteps(e, st, w)
	if got := actions(steps); got != "node1: create swarm secret skep-controller-token (a new random token Traefik presents to the controller)\n"+
		"node1: create swarm secret skep-traefik-users with a new API password (handed over once, in a 0600 file)" {
		t.Fatalf("plan:\n%s", got)
	}
	if err := e.gate.run(context.Background(), "ingress", steps); err != nil {
		t.Fatal(err)
	}
	if len(mgr.secrets) != 2 || mgr.secrets[0].Name != ingress.TokenSecret || mgr.secrets[1].Name != ingress.UsersSecret {
		t.Fatalf("secrets created: %+v", mgr.secrets)
	}
	token, users := string(mgr.secrets[0].Data), string(mgr.secrets[1].Data)

	path := filepath.Join(dir, apiPasswordFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(data))
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %o, want 0600", path, fi.Mode().Perm())
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("%s has mode %o, want 0700", dir, fi.Mode().Perm())
	}
	hash := strings.TrimSpace(strings.TrimPrefix(users, ingress.APIUser+":"))
	if len(password) < 24 || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || strings.Contains(users, password) {
		t.Fatalf("the file's password %q does not match the secret's hash %q", password, users)
	}

	out := log.String()
	if strings.Contains(out, password) || strings.Contains(out, token) || len(token) < 32 {
		t.Fatalf("a secret is in the progress log:\n%s", out)
	}
	if !strings.Contains(out, "password in "+path+" (mode 0600") {
		t.Fatalf("the log does not say where the password is:\n%s", out)
	}
	// The second apply, with the secret there, makes no new password.
	st.secret, st.token = true, true
	if got := actions(ingressSteps(e, st, w)); got != "" {
		t.Fatalf("converged ingress planned:\n%s", got)
	}
}

// Without a place for it, no password is made: a secret whose password
// was never shown would lock the operator out.
func TestAPIPasswordNeedsSecretDir(t *testing.T) {
	mgr := &recordingManager{}
	e := &env{cluster: testCluster("manager"), result: &Result{}}
	if err := createAPIUser(context.Background(), e, mgr, "node1"); err == nil || len(mgr.secrets) != 0 {
		t.Fatalf("err %v, secrets %+v", err, mgr.secrets)
	}
}
