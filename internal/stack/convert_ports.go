package stack

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/swarm"
)

// endpoint converts deploy.endpoint_mode and ports. Without IPVS, swarm's
// virtual IPs and ingress routing mesh do not work, so a service whose file
// does not choose an endpoint mode gets DNS round robin; a dnsrr service
// cannot publish through the ingress mesh, so its ingress ports become host
// ports (published on the nodes running its tasks), each said in a note.
func (c *converter) endpoint(s types.ServiceConfig, mode string) (*swarm.EndpointSpec, error) {
	out := &swarm.EndpointSpec{}
	switch strings.ToLower(mode) {
	case "":
		if !c.opts.IPVS {
			out.Mode = swarm.ResolutionModeDNSRR
			c.note("the cluster's kernel has no IPVS: services without deploy.endpoint_mode use dnsrr (DNS round robin) instead of a virtual IP")
		}
	case "vip":
		out.Mode = swarm.ResolutionModeVIP
	case "dnsrr":
		out.Mode = swarm.ResolutionModeDNSRR
	default:
		return nil, fmt.Errorf("deploy.endpoint_mode: unknown mode %q (vip or dnsrr)", mode)
	}
	for _, p := range s.Ports {
		port, err := portConfig(p)
		if err != nil {
			return nil, err
		}
		if out.Mode == swarm.ResolutionModeDNSRR && port.PublishMode == swarm.PortConfigPublishModeIngress {
			port.PublishMode = swarm.PortConfigPublishModeHost
			c.note("service %s: port %s is published in host mode, on the nodes running its tasks: a dnsrr service cannot use the ingress routing mesh", s.Name, portName(port))
		}
		out.Ports = append(out.Ports, port)
	}
	// By published port, as docker stack deploy orders them (ports it
	// publishes on none, 0, first), keeping the file's order among equals:
	// swarm keeps the list as sent, so any other order would make the two
	// tools' specs of one file differ.
	sort.SliceStable(out.Ports, func(i, j int) bool { return out.Ports[i].PublishedPort < out.Ports[j].PublishedPort })
	return out, nil
}

func portConfig(p types.ServicePortConfig) (swarm.PortConfig, error) {
	out := swarm.PortConfig{TargetPort: p.Target}
	if p.Published != "" {
		n, err := strconv.ParseUint(p.Published, 10, 16)
		if err != nil {
			return out, fmt.Errorf("ports: published %q is not a single port (swarm publishes no ranges)", p.Published)
		}
		out.PublishedPort = uint32(n)
	}
	if p.HostIP != "" && p.HostIP != "0.0.0.0" && p.HostIP != "::" {
		return out, fmt.Errorf("ports: host_ip %s is not supported by swarm, which publishes on every address", p.HostIP)
	}
	switch proto := strings.ToLower(p.Protocol); proto {
	case "", "tcp", "udp", "sctp":
		out.Protocol = swarm.PortConfigProtocol(proto)
		if proto == "" {
			out.Protocol = swarm.PortConfigProtocolTCP
		}
	default:
		return out, fmt.Errorf("ports: unknown protocol %q (tcp, udp or sctp)", p.Protocol)
	}
	switch p.Mode {
	case "", "ingress":
		out.PublishMode = swarm.PortConfigPublishModeIngress
	case "host":
		out.PublishMode = swarm.PortConfigPublishModeHost
	default:
		return out, fmt.Errorf("ports: unknown mode %q (ingress or host)", p.Mode)
	}
	return out, nil
}

// portName is "published:target/protocol" (or "target/protocol"), the way
// a port reads in a compose file.
func portName(p swarm.PortConfig) string {
	s := fmt.Sprintf("%d/%s", p.TargetPort, p.Protocol)
	if p.PublishedPort != 0 {
		s = fmt.Sprintf("%d:%s", p.PublishedPort, s)
	}
	return s
}
