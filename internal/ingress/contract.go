// Package ingress describes skep's ingress: Traefik as a swarm service,
// global on managers with ports 80/443 (and its ping port) published in
// host mode, a read-only Docker API proxy it reads services through, and
// the overlay networks that join them to routed services. It renders
// service specs and configuration; internal/apply converges them.
package ingress

// Names and addresses other parts of skep rely on (the controller, the VIP's
// track script, tests). Change them only on purpose.
const (
	// TraefikVersion is the pinned Traefik release. Its module builds with
	// the go command unchanged (TraefikRecipe); 3.7.x does not.
	TraefikVersion = "v3.6.15"

	// PublicNetwork is the attachable overlay network routed services join;
	// Traefik reaches backends over it. The controller is not on it.
	PublicNetwork = "skep-public"
	// ProxyNetwork joins Traefik, the controller and the socket proxy only.
	ProxyNetwork = "skep-socket-proxy"
	// ControllerNetwork joins Traefik and the controller only: internal and
	// not attachable, so no app container can reach the controller.
	ControllerNetwork = "skep-controller"
	// EgressNetwork gives the controller its way out to the ACME CA (an
	// internal network has none); nothing else is on it.
	EgressNetwork = "skep-controller-egress"

	// TraefikService and ProxyService are the swarm services' names.
	TraefikService = "skep-traefik"
	ProxyService   = "skep-socket-proxy"

	// ProxyPort is where the socket proxy serves the read-only Docker API.
	ProxyPort = 2375

	// PingPort is Traefik's ping entry point, published in host mode on every
	// manager: skep vip-agent (keepalived's parent) checks PingURL on its own node.
	PingPort = 8082
	PingPath = "/ping"
	PingURL  = "http://127.0.0.1:8082/ping"

	// ControllerService is the controller's swarm service; it joins
	// ControllerNetwork with endpoint mode dnsrr.
	ControllerService = "skep-controller"
	// ControllerConfigURL is polled by every Traefik (HTTP provider) for
	// dynamic configuration as JSON: TLS certificates, and a router sending
	// ChallengePath on the web entry point to the controller with
	// ChallengePriority. Traefik keeps its last configuration (and keeps
	// serving) while the controller is absent. Traefik sends the header
	// "Authorization: Bearer TOKEN" with the token of TokenSecret; the
	// controller answers 404 to anything else.
	//
	// The name is the plain service name, which Traefik resolves on the
	// controller's network once the controller is there; while an older
	// controller still sits on PublicNetwork (an upgrade, between the
	// ingress and controller phases) Traefik finds it there and keeps
	// getting its certificates.
	ControllerConfigURL = "http://" + ControllerService + ":8080/traefik"
	// TokenSecret is the swarm secret holding that token: random, made once
	// per cluster by apply, given to Traefik and the controller only.
	TokenSecret = "skep-controller-token"
	// TokenFile is where TokenSecret appears in their containers.
	TokenFile = "/run/secrets/" + TokenSecret
	// ChallengePath is the prefix of HTTP-01 challenge requests.
	ChallengePath = "/.well-known/acme-challenge/"
	// ChallengePriority must be above RedirectPriority so challenges on port
	// 80 reach the controller instead of being redirected to HTTPS.
	ChallengePriority = 2147483647
	// RedirectPriority is the priority of the HTTP->HTTPS redirect router
	// Traefik generates on the web entry point (its v2 default, stated so
	// the controller's challenge router can be placed above it).
	RedirectPriority = 2147483646

	// Entry point names, for routers that name them (the controller's
	// challenge router uses EntryPointWeb).
	EntryPointWeb       = "web"
	EntryPointWebSecure = "websecure"
	EntryPointPing      = "ping"
	EntryPointAPI       = "traefik"

	// UsersSecret holds the API's basic-auth users (one bcrypt htpasswd
	// line); it exists only while the API is on.
	UsersSecret = "skep-traefik-users"
	// APIUser is the user name of the API's basic auth.
	APIUser = "admin"
)
