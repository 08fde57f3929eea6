//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
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
		if !sshBanner(l.VIP, time.Second) {
			t.Fatalf("no answer from sshd at the VIP %s", l.VIP)
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
			if h := vipHolder(t); h != holder {
				t.Fatalf("a reload moved the VIP from %s to %s", holder, h)
			}
		}
	})
	waitHealthy(t, 3*time.Minute)
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
		if sshBanner(vip, 300*time.Millisecond) {
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

// sshBanner tells whether sshd answers at the VIP: a banner, not just a
// TCP handshake, which a frozen node's kernel still completes.
func sshBanner(vip string, within time.Duration) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(vip, "22"), within)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(within))
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-")
}
