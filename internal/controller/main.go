// Package controller is skepd, skep's in-cluster controller. It runs as a
// one-replica swarm service with its state on skep's own volume, and owns
// the cluster's HTTPS certificates: it learns the wanted names from
// services' Traefik router rules (read through the read-only Docker API
// proxy) and the cluster file, orders one certificate per name set with
// lego (HTTP-01, answered by itself: every Traefik routes challenges to
// it), renews them before expiry, and serves them to every Traefik through
// Traefik's HTTP provider. Restarted on another node it finds the same
// account and certificates, and orders nothing new.
package controller

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"skep/internal/ingress"
)

// Config is what the controller is told by its service definition.
type Config struct {
	StateDir       string
	Listen         string
	CAURL          string
	Email          string
	CARoots        string // PEM file: extra roots for the CA's HTTPS endpoint
	Names          []string
	DockerHost     string
	SelfURL        string // how Traefik reaches this controller
	TokenFile      string // secret file with the token Traefik presents
	HTTPEntryPoint string
	RenewBefore    time.Duration
	Interval       time.Duration
}

// Defaults of the flags; apply passes the values it needs explicitly.
var (
	DefaultListen     = ":" + Port
	DefaultDockerHost = fmt.Sprintf("tcp://%s:%d", ingress.ProxyService, ingress.ProxyPort)
	DefaultSelfURL    = "http://" + ingress.ControllerService + ":" + Port
)

// Port is the controller's HTTP port, the one in the URL Traefik polls.
var Port = func() string {
	u, err := url.Parse(ingress.ControllerConfigURL)
	if err != nil || u.Port() == "" {
		panic("ingress.ControllerConfigURL has no port")
	}
	return u.Port()
}()

const (
	// LegacyStateDir is where controllers before skep's own volume kept
	// their state: under the user mount, readable by any app that binds
	// it. apply moves what it finds there to the cluster's
	// ControllerStateDir once; the controller itself is always told
	// where its state is (--state-dir).
	LegacyStateDir = "/var/data/skep"
	// DefaultRenewBefore renews 30 days before expiry, as Let's Encrypt
	// advises for its 90-day certificates.
	DefaultRenewBefore = 30 * 24 * time.Hour
	DefaultInterval    = 10 * time.Second
)

// parseFlags reads the command line; names may also come one per flag or
// comma-separated.
func parseFlags(args []string, out io.Writer) (Config, error) {
	var c Config
	var names string
	fs := flag.NewFlagSet("skepd", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.StateDir, "state-dir", "", "state directory on skep's own volume (required)")
	fs.StringVar(&c.Listen, "listen", DefaultListen, "HTTP address for challenges and Traefik's configuration")
	fs.StringVar(&c.CAURL, "ca-url", "", "ACME directory URL (required)")
	fs.StringVar(&c.Email, "email", "", "ACME account contact email (required)")
	fs.StringVar(&c.CARoots, "ca-roots", os.Getenv("LEGO_CA_CERTIFICATES"), "PEM file of extra roots to trust for the ACME server (a lab CA)")
	fs.StringVar(&names, "names", "", "comma-separated names to keep certificates for, besides those in router rules")
	fs.StringVar(&c.DockerHost, "docker-host", DefaultDockerHost, "read-only Docker API to read services' labels from")
	fs.StringVar(&c.SelfURL, "self-url", DefaultSelfURL, "URL at which Traefik reaches this controller")
	fs.StringVar(&c.TokenFile, "token-file", "", "file holding the token Traefik presents as a bearer token (required; a swarm secret)")
	fs.StringVar(&c.HTTPEntryPoint, "http-entrypoint", ingress.EntryPointWeb, "Traefik's HTTP entry point")
	fs.DurationVar(&c.RenewBefore, "renew-before", DefaultRenewBefore, "renew a certificate this long before it expires")
	fs.DurationVar(&c.Interval, "interval", DefaultInterval, "how often to look for new names and due renewals")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, n := range strings.Split(names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			c.Names = append(c.Names, n)
		}
	}
	var missing []string
	if c.CAURL == "" {
		missing = append(missing, "--ca-url")
	}
	if c.Email == "" {
		missing = append(missing, "--email")
	}
	if c.StateDir == "" {
		missing = append(missing, "--state-dir")
	}
	if c.TokenFile == "" {
		missing = append(missing, "--token-file")
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing %s", strings.Join(missing, " and "))
	}
	if c.Interval <= 0 || c.RenewBefore <= 0 {
		return c, fmt.Errorf("--interval and --renew-before must be positive")
	}
	return c, nil
}

// Main runs the controller until ctx ends and returns the exit code.
func Main(ctx context.Context, args []string) int {
	logger := log.New(os.Stderr, "skepd: ", log.LstdFlags|log.LUTC)
	cfg, err := parseFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		logger.Printf("%v", err)
		return 2
	}
	if err := Run(ctx, cfg, logger.Printf); err != nil {
		logger.Printf("%v", err)
		return 1
	}
	return 0
}

// Run serves and keeps certificates until ctx ends.
func Run(ctx context.Context, cfg Config, logf func(string, ...any)) error {
	st, err := newStore(cfg.StateDir, cfg.CAURL)
	if err != nil {
		return err
	}
	history, err := st.loadOrders()
	if err != nil {
		// Without the history the limits cannot be honoured: refuse to
		// order rather than risk the CA's rate limits.
		return fmt.Errorf("order history: %w; fix or remove the file", err)
	}
	services, err := newServiceReader(cfg.DockerHost)
	if err != nil {
		return err
	}
	token, err := readToken(cfg.TokenFile)
	if err != nil {
		return err
	}
	chal := &challenges{}
	h, err := newHandler(chal, token)
	if err != nil {
		return err
	}
	c := &controller{
		cfg: cfg, store: st, handler: h, limits: DefaultLimits, now: time.Now, logf: logf,
		history:    prune(history, time.Now()),
		routerSets: services.nameSets,
		newIssuer: func() (issuer, error) {
			return newLegoIssuer(st, cfg.CAURL, cfg.Email, cfg.CARoots, chal, logf)
		},
	}
	c.start()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	// Serve ends only on Shutdown (ErrServerClosed) or a failure of the
	// listener; a failure ends the controller with its cause, since
	// without the challenge server no certificate can be issued.
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()

	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		c.step(ctx)
		select {
		case <-ctx.Done():
			return nil
		case err := <-served:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("serve on %s: %w", cfg.Listen, err)
		case <-t.C:
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none yet"
	}
	return s
}
