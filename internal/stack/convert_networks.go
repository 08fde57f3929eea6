package stack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
)

// defaultNetwork is the key of the network compose gives services that name
// none; docker stack deploy creates it as STACK_default.
const defaultNetwork = "default"

// networkConfig is a top-level network, or the implicit default one when
// the project was loaded without compose-go's normalization.
func (c *converter) networkConfig(key string) (types.NetworkConfig, error) {
	if n, ok := c.p.Networks[key]; ok {
		return n, nil
	}
	if key == defaultNetwork {
		return types.NetworkConfig{}, nil
	}
	return types.NetworkConfig{}, fmt.Errorf("networks: %s is not declared under the top-level networks", key)
}

// networkName is the swarm name of a top-level network.
func (c *converter) networkName(key string, n types.NetworkConfig) string {
	return c.objectName(key, n.Name, bool(n.External))
}

// serviceNetworks are the keys of the networks a service joins.
func serviceNetworks(s types.ServiceConfig) []string {
	if len(s.Networks) == 0 {
		return []string{defaultNetwork}
	}
	return keys(s.Networks)
}

// attachments are the service's network attachments, sorted by target as
// docker stack deploy sorts them. Each carries the service's name as an
// alias, so services reach each other by their compose names.
func (c *converter) attachments(s types.ServiceConfig) ([]swarm.NetworkAttachmentConfig, error) {
	var out []swarm.NetworkAttachmentConfig
	for _, key := range serviceNetworks(s) {
		n, err := c.networkConfig(key)
		if err != nil {
			return nil, err
		}
		target := c.networkName(key, n)
		if n.External {
			c.external[target] = true
		}
		a := swarm.NetworkAttachmentConfig{Target: target}
		if sn := s.Networks[key]; sn != nil {
			if sn.Ipv4Address != "" || sn.Ipv6Address != "" {
				return nil, fmt.Errorf("networks.%s: fixed addresses (ipv4_address, ipv6_address) are not supported by swarm", key)
			}
			a.Aliases = append(a.Aliases, sn.Aliases...)
			a.DriverOpts = sn.DriverOpts
		}
		// The built-in networks take no aliases, as in docker stack deploy.
		if !builtinNetwork(target) {
			a.Aliases = append(a.Aliases, s.Name)
		}
		out = append(out, a)
	}
	if enabled(s.Labels) && !routed(s) {
		// A common slip from docker compose, where container labels work.
		c.note("service %s: traefik labels are under labels, which swarm gives the containers; Traefik reads them from deploy.labels, so the service is not routed", s.Name)
	}
	if routed(s) && c.opts.PublicNetwork != "" && !attached(out, c.opts.PublicNetwork) {
		// No alias here: the public network is shared by every stack, and a
		// bare "web" there would answer for whichever stack's web came last.
		// Traefik reaches the task by its address on this network.
		out = append(out, swarm.NetworkAttachmentConfig{Target: c.opts.PublicNetwork})
		c.external[c.opts.PublicNetwork] = true
		c.note("service %s: joined network %s, since it has traefik.enable=true and Traefik reaches services there", s.Name, c.opts.PublicNetwork)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Target < out[j].Target })
	return out, nil
}

// routed says the service asks Traefik to route it: Traefik reads its
// labels from the service (deploy.labels), not from containers.
func routed(s types.ServiceConfig) bool {
	return s.Deploy != nil && enabled(s.Deploy.Labels)
}

func enabled(labels types.Labels) bool {
	return strings.EqualFold(strings.TrimSpace(labels["traefik.enable"]), "true")
}

func attached(as []swarm.NetworkAttachmentConfig, target string) bool {
	for _, a := range as {
		if a.Target == target {
			return true
		}
	}
	return false
}

func builtinNetwork(name string) bool {
	switch name {
	case "host", "bridge", "none", "default":
		return true
	}
	return false
}

// networks are the networks the stack creates: those its services join
// and that are not external, as docker stack deploy creates only networks
// in use. Overlay is the driver when the file names none; a bridge or host
// network cannot carry swarm services, so those are errors.
func (c *converter) networks() ([]NetworkSpec, error) {
	used := map[string]bool{}
	for _, s := range c.p.Services {
		for _, key := range serviceNetworks(s) {
			used[key] = true
		}
	}
	var out []NetworkSpec
	for _, key := range keys(used) {
		n, err := c.networkConfig(key)
		if err != nil {
			return nil, err
		}
		if n.External {
			continue
		}
		driver := n.Driver
		switch driver {
		case "":
			driver = "overlay"
		case "bridge", "host", "none":
			return nil, fmt.Errorf("network %s: driver %s cannot carry swarm services; use overlay", key, driver)
		}
		opts := network.CreateOptions{
			Driver:     driver,
			Options:    n.DriverOpts,
			Internal:   n.Internal,
			Attachable: n.Attachable,
			EnableIPv4: n.EnableIPv4,
			EnableIPv6: n.EnableIPv6,
			Labels:     c.stackLabels(n.Labels),
			IPAM:       ipam(n.Ipam),
		}
		out = append(out, NetworkSpec{Name: c.networkName(key, n), Options: opts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func ipam(in types.IPAMConfig) *network.IPAM {
	if in.Driver == "" && len(in.Config) == 0 && len(in.Options) == 0 {
		return nil
	}
	out := &network.IPAM{Driver: in.Driver, Options: in.Options}
	for _, pool := range in.Config {
		if pool == nil {
			continue
		}
		out.Config = append(out.Config, network.IPAMConfig{
			Subnet: pool.Subnet, IPRange: pool.IPRange, Gateway: pool.Gateway, AuxAddress: pool.AuxiliaryAddresses,
		})
	}
	return out
}
