package lab

import (
	"context"
	"fmt"
	"net"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
)

// Addresses inside a lab's /24: nodes from .11 up, the VIP near the top, so
// the numbers say what an address is.
const (
	firstNodeHost = 11
	vipHost       = 250
)

// ensureNetwork creates the lab's bridge network on a free /24, or returns
// the existing one. A fixed subnet is needed because nodes keep fixed
// addresses across restarts (Docker only honours static IPs on user subnets).
func ensureNetwork(ctx context.Context, cli *client.Client, l *Lab) error {
	nets, err := cli.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", l.Network))})
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Name == l.Network && len(n.IPAM.Config) > 0 {
			l.Subnet = n.IPAM.Config[0].Subnet
			return nil
		}
	}
	subnet, err := freeSubnet(ctx, cli)
	if err != nil {
		return err
	}
	_, ipnet, _ := net.ParseCIDR(subnet)
	_, err = cli.NetworkCreate(ctx, l.Network, network.CreateOptions{
		Driver: "bridge",
		Labels: map[string]string{labLabel: l.Name},
		IPAM: &network.IPAM{Config: []network.IPAMConfig{{
			Subnet:  subnet,
			Gateway: hostIP(ipnet, 1),
			// Docker hands out addresses only from .224-.239 to anything
			// else attached, leaving node, helper and VIP addresses to skep.
			IPRange: subnetRange(ipnet),
		}}},
	})
	if err != nil {
		return fmt.Errorf("create network %s: %w", l.Network, err)
	}
	l.Subnet = subnet
	return nil
}

func subnetRange(n *net.IPNet) string { return hostIP(n, 224) + "/28" }

// freeSubnet picks a /24 in 10.213.0.0/16 that overlaps no Docker network
// and no address of this machine.
func freeSubnet(ctx context.Context, cli *client.Client) (string, error) {
	var used []*net.IPNet
	nets, err := cli.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, n := range nets {
		for _, c := range n.IPAM.Config {
			if _, ipn, err := net.ParseCIDR(c.Subnet); err == nil {
				used = append(used, ipn)
			}
		}
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				used = append(used, ipn)
			}
		}
	}
	for i := 0; i < 256; i++ {
		_, cand, _ := net.ParseCIDR(fmt.Sprintf("10.213.%d.0/24", i))
		if !overlapsAny(cand, used) {
			return cand.String(), nil
		}
	}
	return "", fmt.Errorf("no free /24 left in 10.213.0.0/16 for a lab network; remove unused labs (skep lab ls)")
}

func overlapsAny(n *net.IPNet, used []*net.IPNet) bool {
	for _, u := range used {
		if u.Contains(n.IP) || n.Contains(u.IP) {
			return true
		}
	}
	return false
}

// hostIP returns the address with the given host number in a /24.
func hostIP(n *net.IPNet, host int) string {
	ip := n.IP.To4()
	return net.IPv4(ip[0], ip[1], ip[2], byte(host)).String()
}

func nodeIP(subnet string, i int) string {
	_, n, _ := net.ParseCIDR(subnet)
	return hostIP(n, firstNodeHost+i-1)
}

func vipIP(subnet string) string {
	_, n, _ := net.ParseCIDR(subnet)
	return hostIP(n, vipHost)
}
