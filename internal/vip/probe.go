package vip

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"skep/internal/host"
)

// ListenFor is how long apply listens for other VRRP routers before it
// starts keepalived: a VRRP router advertises at least every few seconds
// (stock: every second).
const ListenFor = 2500 * time.Millisecond

// advertRE matches tcpdump's line for a VRRP advertisement, e.g.
// "IP 10.0.0.5 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, ...".
var advertRE = regexp.MustCompile(`^IP (\d+\.\d+\.\d+\.\d+) > \S+: VRRPv(\d), Advertisement, vrid (\d+), prio (\d+)`)

// Stranger is a VRRP router that is not one of ours, heard on our router id.
type Stranger struct {
	Source   string
	Version  int
	Priority int
}

func (s Stranger) String() string {
	return fmt.Sprintf("%s (VRRPv%d, priority %d)", s.Source, s.Version, s.Priority)
}

// ParseAdverts picks, from tcpdump's output, the routers advertising
// routerID whose source is not in ours; each once, sorted.
func ParseAdverts(out string, routerID int, ours []string) []Stranger {
	own := map[string]bool{}
	for _, a := range ours {
		own[a] = true
	}
	seen := map[string]Stranger{}
	for _, line := range strings.Split(out, "\n") {
		m := advertRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		vrid, _ := strconv.Atoi(m[3])
		if vrid != routerID || own[m[1]] {
			continue
		}
		v, _ := strconv.Atoi(m[2])
		prio, _ := strconv.Atoi(m[4])
		seen[m[1]] = Stranger{Source: m[1], Version: v, Priority: prio}
	}
	var list []Stranger
	for _, s := range seen {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Source < list[j].Source })
	return list
}

// ListenScript is the probe's command: capture VRRP (IP protocol 112) on
// iface for ListenFor, bounded in packets too. tcpdump puts the interface
// in promiscuous mode, so multicast adverts are heard as well as unicast
// ones sent to this host.
func ListenScript(iface string) []string {
	secs := strconv.FormatFloat(ListenFor.Seconds(), 'f', 1, 64)
	// -Z root: tcpdump would otherwise drop to its own user, which this
	// container (no SETUID/SETGID) cannot, and timeout could not stop it.
	return []string{"sh", "-c", "timeout " + secs + " tcpdump -Z root -n -t -l -i " + host.ShellQuote(iface) + " -c 500 'ip proto 112'; true"}
}

// Listen runs the probe on a host in a throwaway container of the
// keepalived image (host network, NET_RAW and NET_ADMIN only) and returns
// the strangers heard on routerID.
func Listen(ctx context.Context, cli client.APIClient, image, iface string, routerID int, ours []string) ([]Stranger, error) {
	ctx, cancel := context.WithTimeout(ctx, ListenFor+30*time.Second)
	defer cancel()
	cfg := &container.Config{Image: image, Entrypoint: ListenScript(iface), Labels: map[string]string{"skep.component": "vip-probe"}}
	hc := &container.HostConfig{
		NetworkMode: "host",
		CapDrop:     []string{"ALL"},
		CapAdd:      []string{"NET_RAW", "NET_ADMIN"},
		SecurityOpt: []string{"no-new-privileges"},
		AutoRemove:  false,
	}
	created, err := cli.ContainerCreate(ctx, cfg, hc, nil, nil, "")
	if err != nil {
		return nil, fmt.Errorf("listen for VRRP routers: %w", err)
	}
	defer cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{Force: true})
	// Attached before it starts, so no line is missed; the log (journald
	// on skep hosts) is the fallback when the transport cannot attach.
	var out, errb bytes.Buffer
	att, attachErr := cli.ContainerAttach(ctx, created.ID, container.AttachOptions{Stream: true, Stdout: true, Stderr: true})
	if attachErr == nil {
		defer att.Close()
	}
	wait, waitErr := cli.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return nil, fmt.Errorf("listen for VRRP routers: %w", err)
	}
	if attachErr == nil {
		if _, err := stdcopy.StdCopy(&out, &errb, att.Reader); err != nil {
			return nil, fmt.Errorf("listen for VRRP routers: %w", err)
		}
	}
	select {
	case <-wait:
	case err := <-waitErr:
		return nil, fmt.Errorf("listen for VRRP routers: %w", err)
	}
	if attachErr != nil {
		rc, err := cli.ContainerLogs(ctx, created.ID, container.LogsOptions{ShowStdout: true})
		if err != nil {
			return nil, fmt.Errorf("listen for VRRP routers: %w (attach: %v)", err, attachErr)
		}
		defer rc.Close()
		if _, err := stdcopy.StdCopy(&out, &errb, rc); err != nil {
			return nil, fmt.Errorf("listen for VRRP routers: %w", err)
		}
	}
	// tcpdump says it listens on stderr; without that line it heard nothing.
	if !strings.Contains(errb.String(), "listening on") {
		return nil, fmt.Errorf("listen for VRRP routers on %s: tcpdump did not start: %s", iface, strings.TrimSpace(errb.String()))
	}
	return ParseAdverts(out.String(), routerID, ours), nil
}
