package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"skep/internal/controller"
	"skep/internal/ingress"
)

// privateKeyMarker is what every PEM private key carries ("BEGIN PRIVATE
// KEY", "BEGIN EC PRIVATE KEY", ...): finding it anywhere is a leak.
const privateKeyMarker = "PRIVATE KEY"

// probeOptions is what the hostile probe tries.
type probeOptions struct {
	names     []string // DNS names to resolve; what they resolve to is tried too
	addrs     []string // addresses (IPs or names) to try
	ports     []int
	readDir   string // every file under it is read
	tokenFile string // "" or the controller's token: a control that must get in
	timeout   time.Duration
}

// probeAttempt is one request and what came back. The body itself is not
// kept: only whether it held a private key.
type probeAttempt struct {
	Target     string `json:"target"` // host:port
	Path       string `json:"path"`
	Auth       string `json:"auth"` // none, wrong or token (never the token itself)
	Code       int    `json:"code,omitempty"`
	Error      string `json:"error,omitempty"`
	PrivateKey bool   `json:"private_key"`
}

// probeReport is the probe's one line of JSON output.
type probeReport struct {
	Resolved   map[string][]string `json:"resolved"`
	Attempts   []probeAttempt      `json:"attempts"`
	FilesRead  []string            `json:"files_read"`
	Unreadable []string            `json:"unreadable"`
	WithKey    []string            `json:"with_private_key"`
}

// newLabProbeCommand is the lab's hostile app, for the security test: run
// as an app would be (on the public network, binding the storage mount),
// it tries to reach the controller and read keys, and reports what it got.
func newLabProbeCommand() *cobra.Command {
	o := probeOptions{}
	cmd := &cobra.Command{
		Use:    "probe",
		Short:  "Try to fetch private keys from the given addresses and files; print what came back as JSON (lab security test)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.ports) == 0 {
				o.ports = []int{8080}
			}
			for _, p := range o.ports {
				if p < 1 || p > 65535 {
					return badInput(fmt.Errorf("--port %d: use 1..65535", p), "")
				}
			}
			r := runProbe(cmd.Context(), o)
			return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.names, "resolve", nil, "DNS names to resolve and try")
	f.StringSliceVar(&o.addrs, "addr", nil, "addresses to try")
	f.IntSliceVar(&o.ports, "port", nil, "ports to try on every address (default 8080)")
	f.StringVar(&o.readDir, "read", "", "read every file under this directory")
	f.StringVar(&o.tokenFile, "token-file", "", "also ask with the token in this file (a control: that request must succeed)")
	f.DurationVar(&o.timeout, "timeout", 3*time.Second, "connect and request timeout")
	return cmd
}

func runProbe(ctx context.Context, o probeOptions) probeReport {
	r := probeReport{Resolved: map[string][]string{}}
	targets := map[string]bool{}
	for _, a := range o.addrs {
		targets[a] = true
	}
	for _, n := range o.names {
		rctx, cancel := context.WithTimeout(ctx, o.timeout)
		ips, err := net.DefaultResolver.LookupHost(rctx, n)
		cancel()
		if err != nil {
			ips = []string{} // not found is the answer we hope for
		}
		r.Resolved[n] = ips
		for _, ip := range ips {
			targets[ip] = true
		}
	}
	var hosts []string
	for h := range targets {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	requests := probeRequests(o.tokenFile)
	for _, h := range hosts {
		for _, p := range o.ports {
			r.Attempts = append(r.Attempts, probeTarget(ctx, net.JoinHostPort(h, strconv.Itoa(p)), requests, o.timeout)...)
		}
	}
	if o.readDir != "" {
		r.FilesRead, r.Unreadable, r.WithKey = readAll(o.readDir)
	}
	return r
}

// probeRequest is one path asked with one kind of Authorization header.
type probeRequest struct {
	path, auth, header string
}

// probeRequests asks for Traefik's configuration with no token, a wrong one
// and a random one of the right form, and for paths that must not exist.
func probeRequests(tokenFile string) []probeRequest {
	random := make([]byte, 32)
	rand.Read(random)
	reqs := []probeRequest{
		{controller.TraefikPath, "none", ""},
		{controller.TraefikPath, "wrong", "Bearer wrong"},
		{controller.TraefikPath, "wrong", "Bearer " + hex.EncodeToString(random)},
		{"/", "none", ""},
		{"/healthz", "none", ""},
		{ingress.ChallengePath + "x", "none", ""},
	}
	if tokenFile != "" {
		tok, err := os.ReadFile(tokenFile)
		if err == nil {
			reqs = append(reqs, probeRequest{controller.TraefikPath, "token", "Bearer " + strings.TrimSpace(string(tok))})
		} else {
			reqs = append(reqs, probeRequest{controller.TraefikPath, "token-unreadable", ""})
		}
	}
	return reqs
}

// probeTarget connects once first: an unreachable target (the hoped-for
// answer on networks the probe is not on) is one line, not one timeout
// per request.
func probeTarget(ctx context.Context, target string, reqs []probeRequest, timeout time.Duration) []probeAttempt {
	d := &net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return []probeAttempt{{Target: target, Path: "(connect)", Auth: "none", Error: err.Error()}}
	}
	conn.Close()
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var out []probeAttempt
	for _, q := range reqs {
		a := probeAttempt{Target: target, Path: q.path, Auth: q.auth}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+target+q.path, nil)
		if err == nil {
			if q.header != "" {
				req.Header.Set("Authorization", q.header)
			}
			var resp *http.Response
			if resp, err = client.Do(req); err == nil {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
				resp.Body.Close()
				a.Code, a.PrivateKey = resp.StatusCode, bytes.Contains(body, []byte(privateKeyMarker))
			}
		}
		if err != nil {
			a.Error = err.Error()
		}
		out = append(out, a)
	}
	return out
}

// maxProbeFiles bounds the walk of a mount that may hold an app's data.
const maxProbeFiles = 20000

// readAll reads every regular file under dir, as an app binding it would,
// and tells which it read, which it could not, and which held a key.
func readAll(dir string) (read, unreadable, withKey []string) {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			unreadable = append(unreadable, path+": "+err.Error())
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || len(read)+len(unreadable) >= maxProbeFiles {
			return nil
		}
		data, err := readHead(path, 16<<20)
		if err != nil {
			unreadable = append(unreadable, path+": "+err.Error())
			return nil
		}
		read = append(read, path)
		if bytes.Contains(data, []byte(privateKeyMarker)) {
			withKey = append(withKey, path)
		}
		return nil
	})
	return read, unreadable, withKey
}

func readHead(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return data, nil
}
