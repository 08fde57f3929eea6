package stack

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

const routedYAML = `
services:
  web:
    image: nginx
    ports: ["8080:80"]
    deploy:
      labels:
        traefik.enable: "true"
        traefik.http.routers.web.rule: Host(` + "`web.test`" + `)
        traefik.http.services.web.loadbalancer.healthcheck.path: /healthz
        traefik.http.services.web.loadbalancer.healthcheck.interval: 1s
  api:
    image: api
    networks: [public]
    deploy:
      labels: {traefik.enable: "TRUE"}
  misplaced:
    image: nginx
    labels: {traefik.enable: "true"}
  worker:
    image: worker
    ports: [{target: 9000, published: "9000", mode: host}]
    deploy:
      endpoint_mode: vip
      labels: {traefik.enable: "false"}
networks:
  public: {external: true, name: skep-public}
`

func TestConvertRouting(t *testing.T) {
	runCases(t, []convertCase{{
		name: "traefik services join the public network",
		yaml: routedYAML,
		check: func(t *testing.T, st *Stack) {
			eq(t, "web networks", svc(t, st, "app_web").TaskTemplate.Networks, []swarm.NetworkAttachmentConfig{
				{Target: "app_default", Aliases: []string{"web"}},
				{Target: "skep-public"},
			})
			// Already on it through an external network: not twice.
			eq(t, "api networks", svc(t, st, "app_api").TaskTemplate.Networks, []swarm.NetworkAttachmentConfig{
				{Target: "skep-public", Aliases: []string{"api"}},
			})
			eq(t, "worker networks", svc(t, st, "app_worker").TaskTemplate.Networks, []swarm.NetworkAttachmentConfig{
				{Target: "app_default", Aliases: []string{"worker"}},
			})
			eq(t, "external", st.ExternalNetworks, []string{"skep-public"})
			hasNote(t, st, "service web: joined network skep-public")
			noNote(t, st, "service api: joined")
			noNote(t, st, "service worker: joined")
			// Container labels do not route: said, and not joined.
			hasNote(t, st, "service misplaced: traefik labels are under labels")
			eq(t, "misplaced networks", len(svc(t, st, "app_misplaced").TaskTemplate.Networks), 1)
			// With IPVS nothing changes the endpoint mode or ports.
			web := svc(t, st, "app_web").EndpointSpec
			eq(t, "web endpoint", web.Mode, swarm.ResolutionMode(""))
			eq(t, "web port mode", web.Ports[0].PublishMode, swarm.PortConfigPublishModeIngress)
			noNote(t, st, "IPVS")
			// Traefik's health check labels (README "When a node dies")
			// reach the service as written, and skep adds none.
			labels := svc(t, st, "app_web").Labels
			eq(t, "health check path", labels["traefik.http.services.web.loadbalancer.healthcheck.path"], "/healthz")
			eq(t, "health check interval", labels["traefik.http.services.web.loadbalancer.healthcheck.interval"], "1s")
			traefik := 0
			for k := range labels {
				if strings.HasPrefix(k, "traefik.") {
					traefik++
				}
			}
			eq(t, "traefik labels", traefik, 4)
		},
	}, {
		name: "no public network configured",
		yaml: routedYAML,
		opts: func(o *ConvertOptions) { o.PublicNetwork = "" },
		check: func(t *testing.T, st *Stack) {
			eq(t, "web networks", svc(t, st, "app_web").TaskTemplate.Networks, []swarm.NetworkAttachmentConfig{
				{Target: "app_default", Aliases: []string{"web"}},
			})
		},
	}, {
		name: "without IPVS",
		yaml: routedYAML,
		opts: func(o *ConvertOptions) { o.IPVS = false },
		check: func(t *testing.T, st *Stack) {
			web := svc(t, st, "app_web").EndpointSpec
			eq(t, "web endpoint", web, &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR, Ports: []swarm.PortConfig{
				{Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: swarm.PortConfigPublishModeHost}}})
			eq(t, "api endpoint", svc(t, st, "app_api").EndpointSpec.Mode, swarm.ResolutionModeDNSRR)
			// The file chose vip: kept, as are its host ports.
			eq(t, "worker endpoint", svc(t, st, "app_worker").EndpointSpec.Mode, swarm.ResolutionModeVIP)
			hasNote(t, st, "service web: port 8080:80/tcp is published in host mode")
			noNote(t, st, "service worker: port")
			ipvs := 0
			for _, n := range st.Notes {
				if strings.Contains(n, "no IPVS") {
					ipvs++
				}
			}
			eq(t, "IPVS notes", ipvs, 1)
		},
	}, {
		name: "dnsrr chosen in the file",
		yaml: "services: {dns: {image: coredns, ports: [\"53:53/udp\"], deploy: {endpoint_mode: dnsrr}}}",
		check: func(t *testing.T, st *Stack) {
			eq(t, "endpoint", svc(t, st, "app_dns").EndpointSpec, &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR, Ports: []swarm.PortConfig{
				{Protocol: "udp", TargetPort: 53, PublishedPort: 53, PublishMode: swarm.PortConfigPublishModeHost}}})
			hasNote(t, st, "service dns: port 53:53/udp is published in host mode")
			noNote(t, st, "IPVS")
		},
	}})
}

// TestConvertReferences: what compose-go's consistency check would catch
// is caught again by Convert, for projects loaded without it.
func TestConvertReferences(t *testing.T) {
	runCases(t, []convertCase{{
		name:      "undeclared config",
		yaml:      "services: {web: {image: nginx, configs: [nope]}}",
		unchecked: true,
		wantErr:   "service web: configs: nope is not declared",
	}, {
		name:      "undeclared secret",
		yaml:      "services: {web: {image: nginx, secrets: [nope]}}",
		unchecked: true,
		wantErr:   "service web: secrets: nope is not declared",
	}, {
		name:      "undeclared network",
		yaml:      "services: {web: {image: nginx, networks: [nope]}}",
		unchecked: true,
		wantErr:   "service web: networks: nope is not declared",
	}})
}
