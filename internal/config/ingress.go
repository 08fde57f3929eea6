package config

import (
	"regexp"
)

// Ingress defaults.
const (
	DefaultIngressAPIPort = 8080
)

// ingressReservedPorts are published by Traefik on every manager already.
var ingressReservedPorts = map[int]string{80: "http", 443: "https", 8082: "Traefik's ping"}

// Ingress is Traefik on every manager (ports 80 and 443 in host mode),
// reading services through a read-only Docker API proxy.
type Ingress struct {
	// Image is a Traefik image the nodes pull (e.g. traefik:v3.6.15); empty
	// means skep builds the pinned version from source and ships it, for
	// nodes that cannot pull (the lab, air-gapped clusters).
	Image string `yaml:"image,omitempty"`
	// API turns on Traefik's API (never the dashboard) on APIPort over
	// HTTPS, behind basic auth; apply generates the password and shows it
	// once.
	API     bool `yaml:"api,omitempty"`
	APIPort int  `yaml:"api_port,omitempty"` // default 8080
}

// imageRefRE is a Docker image reference: [registry[:port]/]path[:tag][@digest].
var imageRefRE = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

func (c *Cluster) ingressDefaults() {
	if c.Ingress != nil && c.Ingress.APIPort == 0 {
		c.Ingress.APIPort = DefaultIngressAPIPort
	}
}

func (v *validator) ingress() {
	in := v.c.Ingress
	if in == nil {
		return
	}
	if in.Image != "" && !imageRefRE.MatchString(in.Image) {
		v.add("ingress.image", "%q is not an image reference; use a name such as traefik:v3.6.15, or leave it unset to build Traefik from source", in.Image)
	}
	if in.APIPort != 0 {
		switch what, taken := ingressReservedPorts[in.APIPort]; {
		case in.APIPort < 1 || in.APIPort > 65535:
			v.add("ingress.api_port", "%d is out of range; allowed 1..65535 (unset means %d)", in.APIPort, DefaultIngressAPIPort)
		case taken:
			v.add("ingress.api_port", "%d is already Traefik's %s port; choose another, such as %d", in.APIPort, what, DefaultIngressAPIPort)
		}
	}
}
