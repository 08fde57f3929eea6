package vip

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"skep/internal/host"
)

// HostFacts is what a keepalived host reports about its network and
// keepalived's config, from one round trip (FactsScript).
type HostFacts struct {
	RouteDev, RouteSrc string              // route to the probed peer (or to the VIP)
	Addrs              map[string][]string // interface -> IPv4 addresses with prefix (10.0.0.11/24)
	Config             []byte              // the current keepalived.conf; nil when absent
	HasConfig          bool
	// RTGroups: the kernel schedules real-time tasks by cgroup (cgroup v1
	// with cpu.rt_runtime_us). Then RTCgroup is the cgroup the engine puts
	// its containers under and RTBudget its real-time budget (µs per
	// period; 0 when the cgroup does not exist yet).
	RTGroups bool
	RTCgroup string
	RTBudget int64
}

// FactsScript reads, changing nothing: the route to peer (an address or a
// name, resolved on the host), every IPv4 address of every interface, the
// current config, and the real-time budget of the engine's containers'
// cgroup where the kernel has real-time group scheduling (see rtScript).
func FactsScript(peer string) string {
	return fmt.Sprintf(`peer=%s
ip=$(getent ahostsv4 "$peer" 2>/dev/null | awk '{print $1; exit}')
[ -n "$ip" ] && ip -o -4 route get "$ip" 2>/dev/null | head -n1 | sed 's/^/route=/'
ip -o -4 addr show 2>/dev/null | awk '{print "addr=" $2 " " $4}'
[ -f %s ] && echo "conf=$(base64 -w0 %s)"
%s
true
`, host.ShellQuote(peer), ConfigPath, ConfigPath, rtScript)
}

// rtScript prints "rt=CGROUP BUDGET" when the kernel schedules real-time
// tasks by cgroup (cgroup v1 with cpu.rt_runtime_us; Debian's stock
// kernels and cgroup v2 hosts have no such file, and print nothing).
// CGROUP is where the engine puts its containers: dockerd's
// --cgroup-parent (a flag, or daemon.json's key), else /docker (the
// cgroupfs driver's default); a relative one is under dockerd's own.
const rtScript = `cpu=/sys/fs/cgroup/cpu
if [ -f "$cpu/cpu.rt_runtime_us" ]; then
  pid=$(pidof -s dockerd 2>/dev/null || pgrep -o -x dockerd 2>/dev/null)
  parent=""
  [ -n "$pid" ] && parent=$(tr '\0' '\n' < /proc/$pid/cmdline | sed -n 's/^--cgroup-parent=//p; /^--cgroup-parent$/{n;p;}' | tail -n1)
  [ -n "$parent" ] || parent=$(sed -n 's/.*"cgroup-parent"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' /etc/docker/daemon.json 2>/dev/null | head -n1)
  [ -n "$parent" ] || parent=/docker
  case "$parent" in
  /*) ;;
  *) parent=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3; exit}' /proc/$pid/cgroup 2>/dev/null | sed 's|/$||')/$parent ;;
  esac
  echo "rt=$parent $(cat "$cpu$parent/cpu.rt_runtime_us" 2>/dev/null || echo 0)"
fi`

// ParseFacts reads FactsScript's output.
func ParseFacts(out string) HostFacts {
	f := HostFacts{Addrs: map[string][]string{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "route":
			fields := strings.Fields(v)
			for i := 0; i+1 < len(fields); i++ {
				switch fields[i] {
				case "dev":
					f.RouteDev = fields[i+1]
				case "src":
					f.RouteSrc = fields[i+1]
				}
			}
		case "addr":
			parts := strings.Fields(v)
			if len(parts) == 2 {
				dev := strings.TrimSuffix(strings.SplitN(parts[0], "@", 2)[0], ":")
				f.Addrs[dev] = append(f.Addrs[dev], parts[1])
			}
		case "conf":
			if data, err := base64.StdEncoding.DecodeString(v); err == nil {
				f.Config, f.HasConfig = data, true
			}
		case "rt":
			if cg, budget, ok := strings.Cut(v, " "); ok {
				f.RTGroups, f.RTCgroup = true, cg
				f.RTBudget, _ = strconv.ParseInt(strings.TrimSpace(budget), 10, 64)
			}
		}
	}
	return f
}

// RealTime decides whether skep-keepalived's cgroup gets a real-time
// budget (ContainerSpec's rtBudget), and says why keepalived will run
// without real-time scheduling when it cannot have it. Without real-time
// group scheduling, SYS_NICE alone allows SCHED_RR and the engine would
// refuse a budget; with it, a container's budget must fit in its parent's,
// else the engine refuses to start the container.
func (f HostFacts) RealTime() (budget bool, warning string) {
	if !f.RTGroups {
		return false, ""
	}
	if f.RTBudget >= RTRuntime {
		return true, ""
	}
	return false, fmt.Sprintf("keepalived runs without real-time scheduling: this kernel schedules real-time tasks by cgroup and the engine's cgroup %s grants them %dµs a period; a busy host may then lose the VIP to a backup. To grant a budget, write at least %d to cpu.rt_runtime_us of that cgroup (and of each cgroup above it that has less) under /sys/fs/cgroup/cpu, then apply again",
		f.RTCgroup, f.RTBudget, RTRuntime)
}

// Holds tells whether the host has vip among its addresses.
func (f HostFacts) Holds(vip string) bool {
	for _, addrs := range f.Addrs {
		for _, a := range addrs {
			if isAddr(a, vip) {
				return true
			}
		}
	}
	return false
}

// Placement is where a host carries the VIP: its interface and its own
// address there.
type Placement struct {
	Interface, SourceIP string
}

// Place chooses the interface (the named one, else the route's) and this
// host's address on it, and checks the VIP belongs there: in the subnet of
// one of the interface's addresses and not statically configured (as
// anything but keepalived's /32). The error says how to fix the file.
func (f HostFacts) Place(named, vip string) (Placement, error) {
	iface := named
	if iface == "" {
		iface = f.RouteDev
		if iface == "" {
			return Placement{}, fmt.Errorf("no route to the other managers; set vip.interface to the interface that reaches them")
		}
	}
	addrs, ok := f.Addrs[iface]
	if !ok || len(addrs) == 0 {
		return Placement{}, fmt.Errorf("interface %s has no IPv4 address (interfaces: %s); set vip.interface to one that reaches the other managers", iface, f.ifaces())
	}
	want := net.ParseIP(vip)
	var src string
	for _, a := range addrs {
		ip, n, err := net.ParseCIDR(a)
		if err != nil {
			continue
		}
		ones, _ := n.Mask.Size()
		if ip.Equal(want) {
			if ones != 32 {
				return Placement{}, fmt.Errorf("already has the VIP %s configured on %s (as %s); remove it from the host's network config, keepalived adds and removes it", vip, iface, a)
			}
			continue // keepalived's own /32: this host holds the VIP
		}
		if n.Contains(want) && src == "" {
			src = ip.String()
		}
	}
	if src == "" {
		return Placement{}, fmt.Errorf("vip.address %s is not in the subnet of %s (%s); choose a free address in that subnet", vip, iface, strings.Join(addrs, ", "))
	}
	// Prefer the address the route uses when it is on the same subnet.
	if iface == f.RouteDev && f.RouteSrc != "" && f.RouteSrc != src {
		for _, a := range addrs {
			if ip, n, err := net.ParseCIDR(a); err == nil && ip.String() == f.RouteSrc && n.Contains(want) {
				src = f.RouteSrc
			}
		}
	}
	return Placement{Interface: iface, SourceIP: src}, nil
}

func (f HostFacts) ifaces() string {
	var names []string
	for n := range f.Addrs {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "none with IPv4"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
