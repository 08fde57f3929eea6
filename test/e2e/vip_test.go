//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestVIP: one holder answering from the lab host; the VIP moves when its
// holder is killed, frozen, or its tracked service stops, and does not
// come back and forth when the node returns; a changed advert interval is
// applied by apply, once.
func TestVIP(t *testing.T) {
	l := theLab(t)
	if l.VIP == "" {
		t.Fatal("lab ls lists no VIP")
	}
	waitHealthy(t, 3*time.Minute)

	t.Run("one holder, answering from the lab host", func(t *testing.T) {
		h := vipHolder(t)
		if got := nodeHolders(l.VIP); len(got) != 1 || got[0] != h {
			t.Fatalf("status says %s holds the VIP, the nodes say %v", h, got)
		}
		if !vipAnswers(l.VIP, time.Second) {
			t.Fatalf("no answer from a swarm manager at the VIP %s:2377", l.VIP)
		}
	})

	for _, f := range []struct{ fault, undo, done string }{{"kill", "start", "killed"}, {"pause", "unpause", "frozen"}} {
		t.Run("holder "+f.done+" and back", func(t *testing.T) {
			old := vipHolder(t)
			took := vipMoves(t, l.VIP, old, func() { mustSkep(t, 30*time.Second, "lab", f.fault, "--name", labName, old) })
			t.Logf("%s %s: the VIP answered from another node after %s", old, f.done, took.Round(time.Millisecond))
			watch := watchHolders(l.VIP)
			mustSkep(t, 30*time.Second, "lab", f.undo, "--name", labName, old)
			waitHealthy(t, 3*time.Minute)
			time.Sleep(5 * time.Second) // a late preemption would show here
			// The lab host must reach the holder, not a stale MAC address.
			eventually(t, 5*time.Second, "the VIP answers after "+old+" came back", func() (bool, string) {
				return vipAnswers(l.VIP, 300*time.Millisecond), "no answer at " + l.VIP + ":2377"
			})
			seen := watch()
			// Moves of the VIP from one sole holder to another; a moment
			// with two holders while one yields is not a move.
			var sole []string
			for _, h := range seen {
				if h != "" && !strings.Contains(h, "+") && (len(sole) == 0 || sole[len(sole)-1] != h) {
					sole = append(sole, h)
				}
			}
			if len(sole) > 2 {
				t.Fatalf("the VIP changed hands %d times after %s came back: %v", len(sole)-1, old, seen)
			}
			t.Logf("after %s came back the holders were %v", old, seen)
		})
	}

	t.Run("tracked service stopped on the holder", func(t *testing.T) {
		old := vipHolder(t)
		conf := docker(t, "exec", labName+"-"+old, "cat", "/etc/skep/keepalived/keepalived.conf")
		stop, restore := "kill -STOP $(pidof dockerd)", "kill -CONT $(pidof dockerd)"
		what := "Docker engine frozen"
		if strings.Contains(conf, "skep-vip-check http") {
			// Traefik publishes its ping port in host mode; swarm restarts
			// the killed task by itself.
			stop, restore, what = "docker kill $(docker ps -q --filter publish=8082)", "true", "Traefik killed"
		}
		took := vipMoves(t, l.VIP, old, func() { docker(t, "exec", labName+"-"+old, "sh", "-c", stop) })
		t.Logf("%s on %s: the VIP answered from another node after %s", what, old, took.Round(time.Millisecond))
		docker(t, "exec", labName+"-"+old, "sh", "-c", restore)
		waitHealthy(t, 3*time.Minute)
	})

	t.Run("advert interval change applied once", func(t *testing.T) {
		data, err := os.ReadFile(l.ClusterFile)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "advert_interval: 100ms") {
			t.Fatalf("the lab's cluster file has no advert_interval: 100ms:\n%s", data)
		}
		changed := filepath.Join(t.TempDir(), "cluster.yaml")
		if err := os.WriteFile(changed, []byte(strings.Replace(string(data), "advert_interval: 100ms", "advert_interval: 200ms", 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		holder := vipHolder(t)
		for _, file := range []string{changed, l.ClusterFile} {
			r := mustSkep(t, 3*time.Minute, "apply", "-f", file)
			if n := strings.Count(r.stdout, "reload keepalived"); n != 3 {
				t.Fatalf("apply -f %s reloaded keepalived %d times, want 3 (once per manager):\n%s", file, n, r.stdout)
			}
			want := "advert_int 0.2"
			if file == l.ClusterFile {
				want = "advert_int 0.1"
			}
			for _, n := range []string{"node1", "node2", "node3"} {
				if conf := docker(t, "exec", labName+"-"+n, "cat", "/etc/skep/keepalived/keepalived.conf"); !strings.Contains(conf, want) {
					t.Fatalf("%s: keepalived.conf lacks %q", n, want)
				}
			}
			if r := mustSkep(t, 3*time.Minute, "apply", "-f", file); !strings.Contains(r.stdout, "nothing to do") {
				t.Fatalf("second apply -f %s did something:\n%s", file, r.stdout)
			}
			// A reload should leave the VIP where it is; the issue asks only
			// that the change is applied, so a move is logged, not failed.
			if h := vipHolder(t); h != holder {
				t.Logf("the reload moved the VIP from %s to %s", holder, h)
				holder = h
			}
			if !vipAnswers(l.VIP, time.Second) {
				t.Fatalf("the VIP does not answer after apply -f %s", file)
			}
		}
	})

	t.Run("foreign VRRP router on the router id refused", func(t *testing.T) {
		foreignRouter(t, l)
	})
	waitHealthy(t, 3*time.Minute)
}

// foreignRouter takes the VIP away (apply without the vip section removes
// keepalived), starts a stranger's keepalived on router id 51 from an
// address no host has, and checks that apply refuses to start the VIP,
// naming the stranger; then removes it and applies the VIP back.
func foreignRouter(t *testing.T, l labInfo) {
	data, err := os.ReadFile(l.ClusterFile)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	skipping := false
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if line != "" && line[0] != ' ' && line[0] != '#' {
			skipping = strings.HasPrefix(line, "vip:")
		}
		if !skipping {
			kept = append(kept, line)
		}
	}
	novip := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(novip, []byte(strings.Join(kept, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := mustSkep(t, 3*time.Minute, "apply", "-f", novip)
	if n := strings.Count(r.stdout, "remove container skep-keepalived"); n != 3 {
		t.Fatalf("apply without vip removed keepalived %d times, want 3:\n%s", n, r.stdout)
	}
	node := labName + "-node3"
	prefix := l.VIP[:strings.LastIndex(l.VIP, ".")+1]
	stranger, other := prefix+"240", prefix+"249"
	img := docker(t, "exec", node, "sh", "-c", "docker images --format '{{.Repository}}:{{.Tag}}' | grep '^skep-keepalived:' | head -n1")
	conf := "vrrp_instance stranger {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 100\n advert_int 1\n mcast_src_ip " + stranger +
		"\n virtual_ipaddress {\n  " + other + "/32\n }\n}\n"
	docker(t, "exec", node, "sh", "-c", "ip addr add "+stranger+"/32 dev eth0 && mkdir -p /tmp/stranger && printf '%s' '"+conf+"' > /tmp/stranger/keepalived.conf")
	docker(t, "exec", node, "docker", "run", "-d", "--name", "stranger", "--network", "host", "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW",
		"--cap-add", "NET_BROADCAST", "-v", "/tmp/stranger:/stranger:ro", "--entrypoint", "keepalived", img, "-n", "-l", "-P", "-f", "/stranger/keepalived.conf")
	defer func() {
		docker(t, "exec", node, "sh", "-c", "docker rm -f stranger >/dev/null; ip addr del "+stranger+"/32 dev eth0; rm -rf /tmp/stranger")
		mustSkep(t, 3*time.Minute, "apply", "--lab", labName)
		waitHealthy(t, 3*time.Minute)
	}()
	time.Sleep(3 * time.Second) // the stranger's first adverts
	r = skep(t, 3*time.Minute, "apply", "--lab", labName)
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "another VRRP router uses router id 51") || !strings.Contains(r.stderr+r.stdout, stranger) {
		t.Fatalf("apply with a stranger on router id 51: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, n := range []string{"node1", "node2", "node3"} {
		if out := docker(t, "exec", labName+"-"+n, "sh", "-c", "docker ps -q --filter name=skep-keepalived"); out != "" {
			t.Fatalf("%s runs keepalived though apply refused", n)
		}
	}
	t.Logf("refused: %s", lastLine(r.stderr))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// vipHolder waits until status names exactly one holder and returns it.
func vipHolder(t *testing.T) string {
	t.Helper()
	holder := ""
	eventually(t, 60*time.Second, "one VIP holder in status", func() (bool, string) {
		r := skep(t, 30*time.Second, "status", "--lab", labName, "--output", "json")
		var s struct {
			VIP *struct {
				Address string `json:"address"`
				Holder  string `json:"holder"`
			} `json:"vip"`
			Problems []string `json:"problems"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatalf("status JSON: %v\n%s", err, r.stdout)
		}
		if s.VIP == nil {
			t.Fatalf("status has no vip section:\n%s", r.stdout)
		}
		holder = s.VIP.Holder
		return holder != "", strings.Join(s.Problems, "; ")
	})
	return holder
}

// nodeHolders asks every running node whether it has the VIP.
func nodeHolders(vip string) []string {
	var out []string
	for _, n := range []string{"node1", "node2", "node3"} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := exec.CommandContext(ctx, "docker", "exec", labName+"-"+n, "ip", "-o", "-4", "addr", "show").Output()
		cancel()
		if err == nil && strings.Contains(string(res), " "+vip+"/") {
			out = append(out, n)
		}
	}
	return out
}

// vipMoves inflicts a fault on the holder old and waits until the VIP
// answers from another node, returning how long that took.
func vipMoves(t *testing.T, vip, old string, fault func()) time.Duration {
	t.Helper()
	start := time.Now()
	fault()
	deadline := start.Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if vipAnswers(vip, 300*time.Millisecond) {
			if hs := nodeHolders(vip); len(hs) == 1 && hs[0] != old {
				return time.Since(start)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the VIP did not answer from a node other than %s within 10s (holders now %v)", old, nodeHolders(vip))
	return 0
}

// watchHolders samples the holders until the returned func is called, and
// returns the distinct holder sets in order ("" for none).
func watchHolders(vip string) func() []string {
	var mu sync.Mutex
	var seen []string
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			cur := strings.Join(nodeHolders(vip), "+")
			mu.Lock()
			if len(seen) == 0 || seen[len(seen)-1] != cur {
				seen = append(seen, cur)
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return func() []string {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// vipAnswers tells whether a swarm manager answers at the VIP: the start
// of a TLS handshake on 2377, an application's answer rather than a TCP
// handshake (which a frozen node's kernel still completes), and not sshd,
// whose per-source penalties lock out a host that probes it often.
func vipAnswers(vip string, within time.Duration) bool {
	raw, err := net.DialTimeout("tcp", net.JoinHostPort(vip, "2377"), within)
	if err != nil {
		return false
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(within))
	got := false
	conn := tls.Client(raw, &tls.Config{InsecureSkipVerify: true,
		VerifyPeerCertificate: func(certs [][]byte, _ [][]*x509.Certificate) error {
			got = len(certs) > 0
			return errors.New("probe done")
		}})
	_ = conn.Handshake()
	return got
}
