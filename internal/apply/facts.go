package apply

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"skep/internal/host"
	skswarm "skep/internal/swarm"
)

// Facts is what apply knows about one host before it changes anything.
// Plans are computed from facts alone, so they can be tested from recorded
// facts without any host.
type Facts struct {
	OS        string // os-release ID, e.g. debian
	OSLike    string // os-release ID_LIKE
	OSName    string // PRETTY_NAME
	Kernel    string
	Arch      string
	ClockSkew time.Duration

	DockerInstalled bool
	DockerRunning   bool
	EngineErr       error // why an installed engine did not answer
	EngineVersion   string
	DaemonJSON      string // /etc/docker/daemon.json, "" when absent

	FUSE, VXLAN, IPVS bool
	BusyPorts         []string // swarm ports taken by something other than dockerd

	Swarm skswarm.State
}

// ClusterFacts is the swarm as its managers see it, when one exists.
type ClusterFacts struct {
	Hosts map[string]*Facts
	// Nodes is the swarm's node list from a manager; nil when no host is
	// in a swarm yet, or when no manager gave it (NodesErr says why).
	Nodes    []swarm.Node
	NodesErr error
	// Heartbeat is the swarm's dispatcher heartbeat period, from the
	// manager that gave Nodes; 0 when unknown.
	Heartbeat time.Duration
}

// IPVSTest is a shell condition, true when the host's kernel has IPVS
// (loaded, built in, or loadable), which swarm's virtual IPs and routing
// mesh need. skep stack deploy asks a manager the same question.
const IPVSTest = `[ -e /proc/net/ip_vs ] || [ -d /sys/module/ip_vs ] || modprobe -n ip_vs 2>/dev/null`

// factsScript gathers the OS-level facts in one round trip. It prints
// key=value lines; nothing in it changes the host (the VXLAN probe creates
// and deletes a link in one step only when the module is not loaded).
const factsScript = `
. /etc/os-release 2>/dev/null
echo "os=$ID"; echo "os_like=$ID_LIKE"; echo "os_name=$PRETTY_NAME"
echo "kernel=$(uname -r)"; echo "arch=$(uname -m)"
echo "time=$(date +%s.%N)"
command -v dockerd >/dev/null 2>&1 && echo docker_installed=yes
[ -f /etc/docker/daemon.json ] && echo "daemon_json=$(base64 -w0 /etc/docker/daemon.json)"
[ -c /dev/fuse ] && echo fuse=yes
if [ -d /sys/module/vxlan ] || ip link add skep-vxprobe type vxlan id 4242 dstport 4789 2>/dev/null; then
  ip link del skep-vxprobe 2>/dev/null; echo vxlan=yes
fi
` + "if " + IPVSTest + "; then echo ipvs=yes; fi\n" + `# A port counts as busy only when a program other than dockerd holds it:
# the overlay networks' VXLAN sockets on 4789 belong to the kernel (no
# owning process) and outlive a swarm leave for a while.
if command -v ss >/dev/null 2>&1; then
  ss -Hlntup 2>/dev/null | awk '$5 ~ /:(2377|7946|4789)$/ && /users:/ && !/dockerd/ {print "busy=" $1 "/" $5}'
fi
`

// gatherFacts collects facts from every host in parallel.
func gatherFacts(ctx context.Context, hosts map[string]host.Node) (*ClusterFacts, error) {
	all, err := onHosts(sortedHosts(hosts), func(name string) (*Facts, error) { return hostFacts(ctx, hosts[name]) })
	if err != nil {
		return nil, err
	}
	cf := &ClusterFacts{Hosts: all}
	var errs causes
	for _, name := range sortedHosts(hosts) {
		if f := cf.Hosts[name]; f == nil || !f.Swarm.InSwarm() || !f.Swarm.Manager {
			continue
		}
		cli, err := hosts[name].Docker(ctx)
		if err == nil {
			var nodes []swarm.Node
			if nodes, err = skswarm.Nodes(ctx, cli); err != nil {
				err = fmt.Errorf("node list: %w", err)
			} else {
				// The heartbeat comes from the same manager, so the plan
				// reads one view of the swarm.
				var hb time.Duration
				if hb, err = skswarm.Heartbeat(ctx, cli); err == nil {
					cf.Nodes, cf.Heartbeat = nodes, hb
					break
				}
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	if cf.Nodes == nil && len(errs) > 0 {
		cf.NodesErr = errs
	}
	return cf, nil
}

func hostFacts(ctx context.Context, h host.Node) (*Facts, error) {
	sent := time.Now()
	out, err := h.Sudo(ctx, factsScript)
	rtt := time.Since(sent)
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	f := parseFacts(out, sent.Add(rtt/2))
	if !f.DockerInstalled {
		return f, nil
	}
	cli, err := h.Docker(ctx)
	if err != nil {
		f.EngineErr = err
		return f, nil
	}
	v, err := cli.ServerVersion(ctx)
	if err != nil {
		f.EngineErr = err
		return f, nil
	}
	f.DockerRunning = true
	f.EngineVersion = v.Version
	if f.Swarm, err = skswarm.Inspect(ctx, cli); err != nil {
		return nil, fmt.Errorf("%s: %w", h.Name(), err)
	}
	return f, nil
}

// parseFacts reads factsScript's output; mid is the local time at the
// middle of the round trip, against which the host's clock is compared.
func parseFacts(out string, mid time.Time) *Facts {
	f := &Facts{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "os":
			f.OS = v
		case "os_like":
			f.OSLike = v
		case "os_name":
			f.OSName = v
		case "kernel":
			f.Kernel = v
		case "arch":
			f.Arch = v
		case "time":
			if secs, err := strconv.ParseFloat(v, 64); err == nil {
				remote := time.Unix(0, int64(secs*1e9))
				f.ClockSkew = remote.Sub(mid).Round(time.Millisecond)
			}
		case "docker_installed":
			f.DockerInstalled = true
		case "daemon_json":
			if b, err := base64.StdEncoding.DecodeString(v); err == nil {
				f.DaemonJSON = string(b)
			}
		case "fuse":
			f.FUSE = true
		case "vxlan":
			f.VXLAN = true
		case "ipvs":
			f.IPVS = true
		case "busy":
			f.BusyPorts = append(f.BusyPorts, v)
		}
	}
	return f
}

// summary is one line of what apply learned about a host (for -v).
func (f *Facts) summary() string {
	engine := "no Docker engine"
	if f.DockerInstalled {
		engine = "Docker " + f.EngineVersion
		if !f.DockerRunning {
			engine = "Docker installed, not running"
			if f.EngineErr != nil {
				engine += " (" + f.EngineErr.Error() + ")"
			}
		}
	}
	role := "worker"
	if f.Swarm.Manager {
		role = "manager"
	}
	sw := "swarm " + string(f.Swarm.Local)
	if f.Swarm.InSwarm() {
		sw += " (" + role + ")"
	}
	return fmt.Sprintf("%s %s, kernel %s, %s, %s, clock skew %s", f.OSName, f.Arch, f.Kernel, engine, sw, f.ClockSkew)
}
