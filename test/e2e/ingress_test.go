//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// ingressStatus is the ingress part of the status contract.
type ingressStatus struct {
	Ingress *struct {
		ServingOn []string `json:"serving_on"`
	} `json:"ingress"`
	VIP *struct {
		Address string `json:"address"`
		Holder  string `json:"holder"`
	} `json:"vip"`
}

func ingressOf(t *testing.T) (ingressStatus, statusReport) {
	t.Helper()
	s, r := status(t)
	var in ingressStatus
	if err := json.Unmarshal([]byte(r.stdout), &in); err != nil {
		t.Fatalf("status JSON: %v", err)
	}
	return in, s
}

// httpTo sends every request to addr (host:port) whatever the URL says,
// so the URL carries the routed name (Host header and SNI) without DNS.
// Redirects are returned, not followed. Until the controller serves
// certificates Traefik answers with its own self-signed one: only routing
// is checked here.
func ingressClient(addr, serverName string) *http.Client {
	d := &net.Dialer{Timeout: 3 * time.Second}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DialContext:     func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) },
			TLSClientConfig: &tls.Config{ServerName: serverName, InsecureSkipVerify: true},
			Proxy:           nil,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func ingressGet(c *http.Client, url string, user, password string) (int, string, http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(body), resp.Header, nil
}

// onNode runs a shell command on a lab node over SSH.
func ingressSSH(t *testing.T, node, script string) string {
	t.Helper()
	return mustSkep(t, 2*time.Minute, "lab", "ssh", "--name", labName, node, "--", "sh", "-c", ingressQuote(script)).stdout
}

func ingressQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestIngress: Traefik serves on every manager; a service with only the
// usual Traefik labels is reachable over HTTPS for its name on every
// manager (and the VIP when there is one), HTTP redirects to HTTPS; only
// the socket proxy mounts the Docker socket and it refuses writes.
func TestIngress(t *testing.T) {
	start := time.Now()
	managers := map[string]string{} // name -> address
	eventually(t, 2*time.Minute, "Traefik serving on every manager", func() (bool, string) {
		in, s := ingressOf(t)
		for _, n := range s.Nodes {
			if n.Role == "manager" {
				managers[n.Name] = n.Address
			}
		}
		if in.Ingress == nil {
			return false, "no ingress section in status"
		}
		return len(in.Ingress.ServingOn) == len(managers) && len(managers) == 3, fmt.Sprintf("serving on %v; problems %v", in.Ingress.ServingOn, s.Problems)
	})

	tag := strings.TrimSpace(mustSkep(t, 5*time.Minute, "lab", "whoami", "ship", "--name", labName).stdout)
	name := "whoami." + labName + ".lab"
	create := fmt.Sprintf("docker service rm e2e-whoami >/dev/null 2>&1; docker service create --detach --quiet --name e2e-whoami "+
		"--replicas 2 --network skep-public --endpoint-mode dnsrr --no-resolve-image "+
		"--label traefik.enable=true --label 'traefik.http.routers.e2e-whoami.rule=Host(`%s`)' "+
		"--label traefik.http.services.e2e-whoami.loadbalancer.server.port=8080 %s --port 8080", name, tag)
	deployed := time.Now()
	ingressSSH(t, "node1", create)
	t.Cleanup(func() { ingressSSH(t, "node1", "docker service rm e2e-whoami") })

	for _, node := range []string{"node1", "node2", "node3"} {
		addr := managers[node]
		c := ingressClient(net.JoinHostPort(addr, "443"), name)
		took := eventually(t, 90*time.Second, node+": HTTPS 200 for "+name, func() (bool, string) {
			code, body, _, err := ingressGet(c, "https://"+name+"/", "", "")
			if err != nil {
				return false, err.Error()
			}
			return code == 200 && strings.Contains(body, "Hostname: ") && strings.Contains(body, "X-Forwarded-Proto: https"), fmt.Sprintf("%d %.200s", code, body)
		})
		t.Logf("%s: first HTTPS 200 %.1fs after the service was created (this node polled from %.1fs)", node, time.Since(deployed).Seconds(), (time.Since(deployed) - took).Seconds())

		code, _, hdr, err := ingressGet(ingressClient(net.JoinHostPort(addr, "80"), name), "http://"+name+"/some/path", "", "")
		if err != nil {
			t.Fatalf("%s: HTTP: %v", node, err)
		}
		if (code != http.StatusMovedPermanently && code != http.StatusPermanentRedirect) || hdr.Get("Location") != "https://"+name+"/some/path" {
			t.Fatalf("%s: HTTP answered %d Location %q; want a permanent redirect to https://%s/some/path", node, code, hdr.Get("Location"), name)
		}
	}
	if in, _ := ingressOf(t); in.VIP != nil && in.VIP.Holder != "" {
		c := ingressClient(net.JoinHostPort(in.VIP.Address, "443"), name)
		eventually(t, 30*time.Second, "HTTPS 200 through the VIP", func() (bool, string) {
			code, body, _, err := ingressGet(c, "https://"+name+"/", "", "")
			if err != nil {
				return false, err.Error()
			}
			return code == 200, fmt.Sprintf("%d %.200s", code, body)
		})
	}

	// No container but the socket proxy (read-only, for Traefik), the
	// leader agent (it moves a node label, a write only the engine API
	// takes) and the node probe (read-only; it asks /_ping alone) mounts
	// the Docker socket, on any node.
	mayMount := map[string]bool{"skep-socket-proxy": true, "skep-leader-agent": true, "skep-node-probe": true}
	for _, node := range []string{"node1", "node2", "node3"} {
		out := ingressSSH(t, node, `docker ps -q | xargs -r docker inspect --format '{{.Name}}{{range .Mounts}} {{.Source}}{{end}}'`)
		holders := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			mounts := f[1:]
			if slices.Contains(mounts, "/var/run/docker.sock") || slices.Contains(mounts, "/run/docker.sock") {
				svc, _, _ := strings.Cut(strings.TrimPrefix(f[0], "/"), ".")
				if !mayMount[svc] {
					t.Errorf("%s: container %s mounts the Docker socket; only the socket proxy, the leader agent and the node probe may", node, f[0])
					continue
				}
				holders[svc]++
			}
		}
		for svc := range mayMount {
			if holders[svc] != 1 {
				t.Errorf("%s: %v containers of the socket proxy, the leader agent and the node probe run, want 1 each:\n%s", node, holders, out)
				break
			}
		}
	}

	// The proxy passes reads Traefik needs and refuses everything else.
	probe := `c=$(docker ps -q -f label=com.docker.swarm.service.name=skep-socket-proxy | head -1)
for r in "GET /v1.41/services" "GET /_ping" "POST /v1.41/services/create" "GET /v1.41/containers/json" "DELETE /v1.41/networks/x"; do
  set -- $r
  docker exec "$c" bash -c "exec 3<>/dev/tcp/127.0.0.1/2375; printf '$1 $2 HTTP/1.0\r\nContent-Length: 0\r\n\r\n' >&3; head -1 <&3" | tr -d '\r'
done`
	got := strings.Split(strings.TrimSpace(ingressSSH(t, "node1", probe)), "\n")
	want := []string{" 200 ", " 200 ", " 403 ", " 403 ", " 403 "}
	if len(got) != len(want) {
		t.Fatalf("socket proxy probe answered %q", got)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("socket proxy request %d answered %q, want%s", i, got[i], want[i])
		}
	}
	t.Logf("ingress checks done in %.1fs", time.Since(start).Seconds())
}

var apiPasswordRE = regexp.MustCompile(`Traefik API user admin, password in (\S+) \(mode 0600`)

// TestIngressAPI: turned on in the cluster file, Traefik's API answers only
// with the generated password (handed over once by apply in a 0600 file,
// never in its output); turned off again it
// is gone, and the lab is back as it was.
func TestIngressAPI(t *testing.T) {
	lab := theLab(t)
	orig, err := os.ReadFile(lab.ClusterFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(orig), "ingress: {}\n") {
		t.Fatalf("the lab's cluster file has no plain ingress section:\n%s", orig)
	}
	withAPI := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(withAPI, []byte(strings.Replace(string(orig), "ingress: {}\n", "ingress:\n  api: true\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := mustSkep(t, 5*time.Minute, "apply", "-f", withAPI)
	m := apiPasswordRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("apply with the API on named no password file:\n%s", r.stdout)
	}
	if fi, err := os.Stat(m[1]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file %s: %v (mode %v), want mode 0600", m[1], err, fi)
	}
	data, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(data))
	if len(password) < 24 || strings.Contains(r.stdout+r.stderr, password) {
		t.Fatalf("the password (%d characters) is weak or in apply's output", len(password))
	}
	t.Logf("API on: apply %.1fs", time.Since(start).Seconds())
	defer func() {
		start := time.Now()
		mustSkep(t, 5*time.Minute, "apply", "--lab", labName)
		t.Logf("API off: apply %.1fs", time.Since(start).Seconds())
		_, s := ingressOf(t)
		for _, n := range s.Nodes {
			if n.Role != "manager" {
				continue
			}
			if conn, err := net.DialTimeout("tcp", net.JoinHostPort(n.Address, "8080"), 2*time.Second); err == nil {
				conn.Close()
				t.Errorf("%s: the API port still answers after the API was turned off", n.Name)
			}
		}
		waitHealthy(t, 2*time.Minute)
	}()

	if again := mustSkep(t, 2*time.Minute, "apply", "-f", withAPI); strings.Contains(again.stdout, password) || !strings.Contains(again.stdout, "nothing to do") {
		t.Errorf("second apply with the API on changed something or showed the password again:\n%s", again.stdout)
	}

	_, s := ingressOf(t)
	for _, n := range s.Nodes {
		if n.Role != "manager" {
			continue
		}
		c := ingressClient(net.JoinHostPort(n.Address, "8080"), "")
		code, _, _, err := ingressGet(c, "https://"+n.Address+":8080/api/version", "", "")
		if err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s: API without password answered %d (%v), want 401", n.Name, code, err)
		}
		code, _, _, err = ingressGet(c, "https://"+n.Address+":8080/api/version", "admin", password+"x")
		if err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s: API with a wrong password answered %d (%v), want 401", n.Name, code, err)
		}
		code, body, _, err := ingressGet(c, "https://"+n.Address+":8080/api/version", "admin", password)
		if err != nil || code != http.StatusOK || !strings.Contains(body, "3.6.15") {
			t.Errorf("%s: API with the password answered %d %.200s (%v), want 200 with the version", n.Name, code, body, err)
		}
	}
	if _, err := os.Stat(withAPI); err != nil {
		t.Fatal(err)
	}
	out := ingressSSH(t, "node1", "docker service inspect skep-traefik --format '{{json .Spec.TaskTemplate.ContainerSpec.Args}}'")
	if strings.Contains(out, password) {
		t.Fatal("the password is in Traefik's arguments")
	}
}
