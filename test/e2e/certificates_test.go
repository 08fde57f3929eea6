//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"skep/internal/config"
)

// certStatus is the certificates part of the status contract.
type certStatus struct {
	Certificates []struct {
		Names    []string  `json:"names"`
		NotAfter time.Time `json:"not_after"`
		Issuer   string    `json:"issuer"`
	} `json:"certificates"`
	VIP *struct {
		Address string `json:"address"`
		Holder  string `json:"holder"`
	} `json:"vip"`
}

// ordersFor counts the CA's orders for name: the lab's Pebble validates
// every order afresh (no authorization reuse) and logs each validation
// task with its identifier.
func ordersFor(t *testing.T, name string) int {
	t.Helper()
	logs := docker(t, "logs", labName+"-acme")
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "Pulled a task from the Tasks queue") && strings.Contains(line, `Value:"`+name+`"`) {
			n++
		}
	}
	return n
}

// onCtl runs a shell script on a lab node and returns its stdout; the
// script is one SSH argument, so the remote shell sees it whole.
func onCtl(t *testing.T, node, script string) string {
	t.Helper()
	return mustSkep(t, 2*time.Minute, "lab", "ssh", "--name", labName, node, "--", script).stdout
}

// controllerNode is the node running the controller's task, asked on a
// live manager.
// "" while the swarm cannot say (no leader during an election).
func controllerNode(t *testing.T, askOn string) string {
	t.Helper()
	r := skep(t, 30*time.Second, "lab", "ssh", "--name", labName, askOn, "--",
		"timeout 10 docker service ps skep-controller --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'")
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] == "Running" {
			return f[0]
		}
	}
	return ""
}

// controllerAccount is the account URI in the controller's status file,
// in its state directory as the cluster file places it.
func controllerAccount(t *testing.T, node string) string {
	t.Helper()
	var st struct {
		Account string `json:"account"`
	}
	out := onCtl(t, node, "cat "+labCluster(t).ControllerStateDir()+"/status.json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%s: status.json: %v\n%s", node, err, out)
	}
	return st.Account
}

// TestCertificates: a service with Traefik labels for whoami.LAB.lab gets
// a certificate from the lab's CA through the controller, served by every
// Traefik for the VIP; HTTP redirects to HTTPS; the CA saw one order for
// the name though three Traefiks serve it. The node running the controller
// dies: HTTPS keeps answering through the VIP, and the controller runs
// elsewhere with the same account and certificate, ordering nothing.
func TestCertificates(t *testing.T) {
	lab := theLab(t)
	if lab.CAFile == "" {
		t.Fatal("skep lab ls gives no ca_file")
	}
	roots := labRoots(t, lab)
	waitHealthy(t, 3*time.Minute)

	name := "whoami." + labName + ".lab"
	tag := whoamiImage(t)
	// One task per node, so losing a node leaves backends on the others.
	deployed := routeWhoami(t, "e2e-certs", name, tag, "--replicas 3 --replicas-max-per-node 1")

	vip := lab.VIP
	https := verifiedTo(net.JoinHostPort(vip, "443"), name, roots, 5*time.Second)
	first := firstHTTPS(t, https, name)
	t.Logf("certificate for %s (serial %s, issuer %q) served %.1fs after the service was created",
		name, first.serial, first.issuer, time.Since(deployed).Seconds())
	if len(first.names) != 1 || first.names[0] != name {
		t.Errorf("certificate names %v, want [%s]", first.names, name)
	}

	t.Run("every manager serves it", func(t *testing.T) {
		s, _ := status(t)
		for _, n := range s.Nodes {
			if n.Role != "manager" {
				continue // Traefik runs on the managers only
			}
			servesCertificate(t, n.Name, n.Address, name, roots, first.serial)
		}
	})

	t.Run("HTTP redirects to HTTPS", func(t *testing.T) {
		resp, err := verifiedTo(net.JoinHostPort(vip, "80"), name, roots, 5*time.Second).Get("http://" + name + "/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if code := resp.StatusCode; (code != http.StatusMovedPermanently && code != http.StatusPermanentRedirect) || resp.Header.Get("Location") != "https://"+name+"/x" {
			t.Fatalf("HTTP answered %d Location %q", code, resp.Header.Get("Location"))
		}
	})

	t.Run("one order for the whole cluster", func(t *testing.T) {
		if n := ordersFor(t, name); n != 1 {
			t.Fatalf("the CA saw %d orders for %s, want 1", n, name)
		}
	})

	t.Run("status lists it", func(t *testing.T) {
		eventually(t, 30*time.Second, "status certificates", func() (bool, string) {
			_, r := status(t)
			var cs certStatus
			json.Unmarshal([]byte(r.stdout), &cs)
			for _, c := range cs.Certificates {
				if len(c.Names) == 1 && c.Names[0] == name && c.Issuer == first.issuer && time.Until(c.NotAfter) > 80*24*time.Hour {
					return true, ""
				}
			}
			return false, fmt.Sprintf("%+v", cs.Certificates)
		})
	})

	t.Run("the state is on skep's own volume", func(t *testing.T) {
		checkControllerState(t)
	})

	t.Run("controller node dies", func(t *testing.T) {
		victim := controllerNode(t, "node1")
		if victim == "" {
			t.Fatal("no running controller task")
		}
		witness := "node1"
		if victim == "node1" {
			witness = "node2"
		}
		account := controllerAccount(t, witness)
		t.Logf("controller on %s, account %s; killing %s", victim, account, victim)

		// Probe HTTPS through the VIP every 100 ms from the kill until the
		// controller runs elsewhere (and a little after).
		var mu sync.Mutex
		var fails, oks int
		var lastOK time.Time
		var longestGap time.Duration
		var wrongCert []string
		stop := make(chan struct{})
		done := make(chan struct{})
		probe := verifiedTo(net.JoinHostPort(vip, "443"), name, roots, 2*time.Second)
		go func() {
			defer close(done)
			lastOK = time.Now()
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				s, err := getVerified(probe, "https://"+name+"/")
				mu.Lock()
				switch {
				case err != nil || s.code != 200:
					fails++
				case s.serial != first.serial:
					wrongCert = append(wrongCert, s.serial)
				default:
					oks++
					if gap := time.Since(lastOK); gap > longestGap {
						longestGap = gap
					}
					lastOK = time.Now()
				}
				mu.Unlock()
			}
		}()
		killed := time.Now()
		mustSkep(t, time.Minute, "lab", "kill", "--name", labName, victim)
		t.Cleanup(func() {
			mustSkep(t, 2*time.Minute, "lab", "start", "--name", labName, victim)
			waitHealthy(t, 4*time.Minute)
		})

		var moved string
		took := eventually(t, 2*time.Minute, "controller running on another node", func() (bool, string) {
			moved = controllerNode(t, witness)
			return moved != "" && moved != victim, "on " + moved
		})
		t.Logf("controller running on %s %.1fs after %s was killed", moved, took.Seconds(), victim)
		time.Sleep(5 * time.Second) // the new controller has published and Traefik polled
		close(stop)
		<-done

		mu.Lock()
		defer mu.Unlock()
		t.Logf("HTTPS through the VIP during the failover: %d ok, %d failed, longest gap between answers %s",
			oks, fails, longestGap.Round(time.Millisecond))
		if len(wrongCert) > 0 {
			t.Errorf("another certificate was served: serials %v", wrongCert)
		}
		if oks == 0 || longestGap > 10*time.Second {
			t.Errorf("HTTPS stopped answering through the VIP (longest gap %s)", longestGap)
		}
		if time.Since(lastOK) > 3*time.Second {
			t.Errorf("HTTPS not answering at the end of the failover")
		}
		if got := controllerAccount(t, witness); got != account || got == "" {
			t.Errorf("account %q after the move, was %q", got, account)
		}
		if n := ordersFor(t, name); n != 1 {
			t.Errorf("the CA saw %d orders for %s after the move, want still 1", n, name)
		}
		s, err := getVerified(https, "https://"+name+"/")
		if err != nil || s.serial != first.serial {
			t.Errorf("after the move: serial %s (%v), want %s", s.serial, err, first.serial)
		}
		// The dead node's task has no reachable log: bound the call.
		logs := skep(t, time.Minute, "lab", "ssh", "--name", labName, witness, "--",
			"timeout 20 docker service logs --raw skep-controller 2>&1 | tail -50").stdout
		start := ""
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, "stored certificate(s)") {
				start = line // the latest controller start
			}
		}
		if start == "" || strings.Contains(start, "serving 0 stored") {
			t.Errorf("the new controller did not start from the stored certificate; its log:\n%s", logs)
		}
		t.Logf("failover: %.1fs from kill to the new controller", time.Since(killed).Seconds())
	})
}

// checkControllerState: the lab's storage.mount is not the default, and
// still the controller's state is where the cluster file derives it, on
// skep's own volume: mounted (GlusterFS) on every manager, the same bytes
// on each (so not one node's disk), private (directories 0700, files
// 0600), bound into the controller, and nothing of it under the user
// mount that apps bind.
func checkControllerState(t *testing.T) {
	t.Helper()
	c := labCluster(t)
	sys, state, user := c.Storage.SystemMount, c.ControllerStateDir(), c.Storage.Mount
	if user == config.DefaultStorageMount {
		t.Fatalf("the lab uses the default storage.mount %s; this test wants another", user)
	}
	mounts := onCtl(t, "node1", "docker service inspect skep-controller --format '{{range .Spec.TaskTemplate.ContainerSpec.Mounts}}{{.Source}} {{end}}'")
	if strings.TrimSpace(mounts) != state {
		t.Errorf("the controller binds %q, want only its state %s", strings.TrimSpace(mounts), state)
	}
	var sums []string
	for _, m := range c.Managers() {
		script := fmt.Sprintf(`set -e
findmnt -rn -o FSTYPE --mountpoint %[1]s
stat -c '%%a' %[1]s %[2]s
find %[2]s \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \) | sed 's/^/loose: /'
sha256sum %[2]s/acme/*/account.json | cut -c1-64
ls -A %[3]s | grep -x skep | sed 's/^/user: /' || true
grep -rl 'PRIVATE KEY' %[3]s 2>/dev/null | sed 's/^/key: /' || true`, sys, state, user)
		lines := strings.Split(strings.TrimSpace(onCtl(t, m.Name, script)), "\n")
		if len(lines) < 4 || lines[0] != "fuse.glusterfs" || lines[1] != "700" || lines[2] != "700" {
			t.Errorf("%s: %s not a private GlusterFS mount holding %s:\n%s", m.Name, sys, state, strings.Join(lines, "\n"))
			continue
		}
		for _, l := range lines[3:] {
			switch {
			case strings.HasPrefix(l, "loose: "):
				t.Errorf("%s: %s is not private (files 0600, directories 0700)", m.Name, strings.TrimPrefix(l, "loose: "))
			case strings.HasPrefix(l, "user: "), strings.HasPrefix(l, "key: "):
				t.Errorf("%s: state under the user mount %s: %s", m.Name, user, l)
			default:
				sums = append(sums, m.Name+" "+l)
			}
		}
	}
	if len(sums) != len(c.Managers()) {
		t.Fatalf("account files seen: %v, want one per manager", sums)
	}
	for _, s := range sums[1:] {
		if strings.Fields(s)[1] != strings.Fields(sums[0])[1] {
			t.Errorf("managers see different accounts (not one shared volume): %v", sums)
		}
	}
	t.Logf("state %s on %s: private, the same account on %d managers, nothing under %s", state, sys, len(sums), user)
}
