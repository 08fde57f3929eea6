//go:build e2e

package e2e

import (
	"encoding/json"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// probeReport is what `skep lab probe` prints (internal/cli/probe.go).
type probeReport struct {
	Resolved map[string][]string `json:"resolved"`
	Attempts []struct {
		Target     string `json:"target"`
		Path       string `json:"path"`
		Auth       string `json:"auth"`
		Code       int    `json:"code"`
		Error      string `json:"error"`
		PrivateKey bool   `json:"private_key"`
	} `json:"attempts"`
	FilesRead  []string `json:"files_read"`
	Unreadable []string `json:"unreadable"`
	WithKey    []string `json:"with_private_key"`
}

func parseProbe(t *testing.T, out string) probeReport {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "{") {
			var r probeReport
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("probe output: %v\n%s", err, line)
			}
			return r
		}
	}
	t.Fatalf("no probe report in:\n%s", out)
	return probeReport{}
}

// listeningPorts reads the TCP ports in state LISTEN (0A) from the text of
// /proc/net/tcp and /proc/net/tcp6.
func listeningPorts(procNet string) []int {
	seen := map[int]bool{}
	for _, line := range strings.Split(procNet, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" {
			continue
		}
		i := strings.LastIndexByte(f[1], ':')
		if p, err := strconv.ParseUint(f[1][i+1:], 16, 16); i > 0 && err == nil {
			seen[int(p)] = true
		}
	}
	var ports []int
	for p := range seen {
		ports = append(ports, p)
	}
	sort.Ints(ports)
	return ports
}

// addrsOf collects the IPs in "name=ip[/len][,ip...]" words, by name.
func addrsOf(words string) map[string]string {
	out := map[string]string{}
	for _, w := range strings.Fields(words) {
		name, list, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		for _, a := range strings.Split(list, ",") {
			if ip, _, _ := strings.Cut(a, "/"); net.ParseIP(ip) != nil {
				out[ip] = name
			}
		}
	}
	return out
}

var stateDirArgRE = regexp.MustCompile(`"--state-dir","([^"]+)"`)

// TestSecurity: an app deployed as a user would (on skep-public, binding
// the storage mount of the cluster file) tries every address of the controller and of its
// task, on every port the controller listens on, and reads every file
// under the mount: no private key comes back, and Traefik's configuration
// answers 404 without the token. The controller itself answers the token
// (the control that makes the 404s mean something), the token appears in
// no inspect output or log, and every Traefik still serves the certificate.
func TestSecurity(t *testing.T) {
	lab := theLab(t)
	roots := labRoots(t, lab)
	waitHealthy(t, 3*time.Minute)
	tag := whoamiImage(t)
	mount := labCluster(t).Storage.Mount // what the cluster file tells users to bind

	// A routed app, so that there is a certificate to steal.
	name := "secure." + labName + ".lab"
	routeWhoami(t, "e2e-sec-web", name, tag, "--replicas 1")
	first := firstHTTPS(t, verifiedTo(net.JoinHostPort(lab.VIP, "443"), name, roots, 5*time.Second), name)

	t.Run("every Traefik serves the certificate", func(t *testing.T) {
		s, _ := status(t)
		for _, n := range s.Nodes {
			if n.Role != "manager" {
				continue
			}
			servesCertificate(t, n.Name, n.Address, name, roots, first.serial)
		}
	})

	// Where the controller is, what it listens on and every address it has.
	node := controllerNode(t, "node1")
	if node == "" {
		t.Fatal("no running controller task")
	}
	ctr := strings.TrimSpace(onCtl(t, node, "docker ps -q --no-trunc --filter label=com.docker.swarm.service.name=skep-controller | head -1"))
	if ctr == "" {
		t.Fatalf("no controller container on %s", node)
	}
	ports := listeningPorts(onCtl(t, node, "docker exec "+ctr+" cat /proc/net/tcp /proc/net/tcp6"))
	if len(ports) == 0 {
		t.Fatal("the controller listens on no TCP port")
	}
	addrs := addrsOf(onCtl(t, node, "docker inspect "+ctr+` --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}'`))
	for ip, n := range addrsOf(onCtl(t, "node1", `docker inspect --format '{{range .NetworksAttachments}}{{.Network.Spec.Name}}={{join .Addresses ","}} {{end}}' `+
		"$(docker service ps -q --filter desired-state=running skep-controller)")) {
		addrs[ip] = n
	}
	// The gateway bridge gives every task on the node its own address; only
	// this container's counts (other containers' are listed too).
	gw := onCtl(t, node, `docker network inspect docker_gwbridge --format '{{range $k, $v := .Containers}}{{$k}}={{$v.IPv4Address}} {{end}}'`)
	for _, w := range strings.Fields(gw) {
		if id, a, ok := strings.Cut(w, "="); ok && id == ctr {
			ip, _, _ := strings.Cut(a, "/")
			addrs[ip] = "docker_gwbridge"
		}
	}
	// The hostile app probes only the controller's addresses on networks
	// the app is itself attached to (skep-public, and the node's gateway
	// bridge every task gets). An address on another overlay is not routed
	// inside the app's namespace: a packet to it would leave through the
	// gateway bridge, the node and the lab host, off this machine. That an
	// app cannot join the controller's networks is shown by "networks
	// sealed" below, and the names are resolved from inside the app.
	var ips []string
	for ip, n := range addrs {
		switch n {
		case "skep-public":
			t.Errorf("the controller has an address on skep-public: %s", ip)
			ips = append(ips, ip)
		case "docker_gwbridge":
			ips = append(ips, ip)
		}
	}
	if len(ips) == 0 {
		t.Fatalf("the controller has no address on the node's gateway bridge to probe: %v", addrs)
	}
	sort.Strings(ips)
	var portList []string
	for _, p := range ports {
		portList = append(portList, strconv.Itoa(p))
	}
	t.Logf("controller on %s listens on %v; its addresses: %v", node, ports, addrs)

	t.Run("networks sealed", func(t *testing.T) {
		for _, n := range []string{"skep-controller", "skep-socket-proxy", "skep-health"} {
			if got := strings.TrimSpace(onCtl(t, "node1", "docker network inspect "+n+" --format '{{.Internal}} {{.Attachable}}'")); got != "true false" {
				t.Errorf("network %s: internal, attachable = %s, want true false", n, got)
			}
		}
		r := skep(t, time.Minute, "lab", "ssh", "--name", labName, node, "--",
			"docker run --rm --network skep-controller --entrypoint /bin/true "+tag)
		if r.code == 0 {
			t.Error("a container was started on skep-controller with docker run")
		}
	})

	t.Run("the controller answers the token only", func(t *testing.T) {
		out := onCtl(t, node, "docker exec "+ctr+" /usr/local/bin/skep lab probe --addr 127.0.0.1 --port "+strings.Join(portList, ",")+
			" --token-file /run/secrets/skep-controller-token")
		r := parseProbe(t, out)
		control := false
		for _, a := range r.Attempts {
			switch {
			case a.Auth == "token" && a.Code == 200 && a.PrivateKey:
				control = true
			case a.Auth == "token":
			case a.PrivateKey || (a.Error == "" && a.Code != 404):
				t.Errorf("%s %s (auth %s): %d private key %v, want 404", a.Target, a.Path, a.Auth, a.Code, a.PrivateKey)
			}
		}
		if !control {
			t.Errorf("with the token the controller gave no configuration with keys: %+v", r.Attempts)
		}
	})

	t.Run("the token is in no inspect output or log", func(t *testing.T) {
		token := strings.TrimSpace(onCtl(t, node, "docker exec "+ctr+" cat /run/secrets/skep-controller-token"))
		if len(token) < 32 {
			t.Fatalf("token of %d characters", len(token))
		}
		for _, m := range []string{"node1", "node2", "node3"} {
			out := onCtl(t, m, "docker service inspect skep-traefik skep-controller; "+
				"for s in skep-traefik skep-controller; do for c in $(docker ps -q --filter label=com.docker.swarm.service.name=$s); do docker inspect $c; done; done; "+
				"ps -eo args")
			if strings.Contains(out, token) {
				t.Errorf("%s: the token is in docker inspect or a process's argv", m)
			}
		}
		logs := skep(t, time.Minute, "lab", "ssh", "--name", labName, "node1", "--",
			"timeout 30 docker service logs --raw skep-traefik 2>&1 | tail -5000; timeout 30 docker service logs --raw skep-controller 2>&1 | tail -2000").stdout
		if strings.Contains(logs, token) {
			t.Error("the token is in Traefik's or the controller's log")
		}
	})

	t.Run("a hostile app gets no key", func(t *testing.T) {
		// A file the app must read, so an empty walk cannot pass.
		canary := mount + "/e2e-security-canary.txt"
		onCtl(t, "node1", "echo canary > "+canary)
		t.Cleanup(func() { onCtl(t, "node1", "rm -f "+canary+"; docker service rm e2e-sec-probe >/dev/null 2>&1; true") })
		onCtl(t, "node1", "docker service rm e2e-sec-probe >/dev/null 2>&1; docker service create --detach --quiet --name e2e-sec-probe "+
			"--mode replicated-job --network skep-public --mount type=bind,source="+mount+",target="+mount+" "+
			"--constraint node.hostname=="+node+" --no-resolve-image --entrypoint /usr/local/bin/skep "+tag+
			" lab probe --resolve skep-controller,tasks.skep-controller,skep-controller.skep-controller"+
			" --addr "+strings.Join(ips, ",")+" --port "+strings.Join(portList, ",")+" --read "+mount)
		eventually(t, 3*time.Minute, "the probe job completes", func() (bool, string) {
			st := onCtl(t, "node1", "docker service ps e2e-sec-probe --format '{{.CurrentState}} {{.Error}}'")
			if strings.Contains(st, "Failed") || strings.Contains(st, "Rejected") {
				t.Fatalf("probe job: %s", st)
			}
			return strings.Contains(st, "Complete"), st
		})
		var r probeReport
		eventually(t, time.Minute, "the probe's report in its log", func() (bool, string) {
			out := onCtl(t, "node1", "timeout 20 docker service logs --raw e2e-sec-probe 2>&1")
			if !strings.Contains(out, `"attempts"`) {
				return false, out
			}
			r = parseProbe(t, out)
			return true, ""
		})
		for n, got := range r.Resolved {
			for _, ip := range got {
				if _, own := addrs[ip]; own {
					t.Errorf("%s resolves to the controller's %s address %s on skep-public", n, addrs[ip], ip)
				}
			}
		}
		reached := 0
		for _, a := range r.Attempts {
			if a.PrivateKey {
				t.Errorf("%s %s (auth %s) gave a private key", a.Target, a.Path, a.Auth)
			}
			if a.Path == "/traefik" && a.Error == "" && a.Code != 404 {
				t.Errorf("%s /traefik (auth %s) answered %d, want 404 or no connection", a.Target, a.Auth, a.Code)
			}
			if a.Error == "" {
				reached++
			}
		}
		if len(r.WithKey) > 0 {
			t.Errorf("files under %s hold a private key: %v", mount, r.WithKey)
		}
		canaryRead := false
		for _, f := range r.FilesRead {
			canaryRead = canaryRead || f == canary
		}
		if !canaryRead {
			t.Errorf("the probe did not read %s through its bind; read %v, unreadable %v", canary, r.FilesRead, r.Unreadable)
		}
		t.Logf("hostile app on %s: resolved %v; %d attempts on %d addresses x ports %v (%d connected, none gave a key); read %d files under %s (%d unreadable), none with a key",
			node, r.Resolved, len(r.Attempts), len(ips), ports, reached, len(r.FilesRead), mount, len(r.Unreadable))
	})

	t.Run("the keys live off the user mount", func(t *testing.T) {
		args := onCtl(t, "node1", "docker service inspect skep-controller --format '{{json .Spec.TaskTemplate.ContainerSpec.Args}}'")
		m := stateDirArgRE.FindStringSubmatch(args)
		if m == nil {
			t.Fatalf("no --state-dir in the controller's args %s", args)
		}
		dir := m[1]
		if dir == mount || strings.HasPrefix(dir, mount+"/") {
			t.Fatalf("the controller's state %s is under the user mount %s", dir, mount)
		}
		if strings.TrimSpace(onCtl(t, node, "grep -rl 'PRIVATE KEY' "+dir+" | head -1")) == "" {
			t.Errorf("no key under the controller's state %s on %s: the probe's empty result proves nothing", dir, node)
		}
	})
}
