package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"skep/internal/bench"
)

// newLabWhoamiCommand is the lab's test backend: a tiny HTTP server that
// answers every request with 200, its host name and the request's headers,
// so tests and benchmarks can see which task answered and what Traefik
// forwarded. skep ships itself as this image (no registry has one here).
func newLabWhoamiCommand() *cobra.Command {
	var port int
	var drain time.Duration
	cmd := &cobra.Command{
		Use:     "whoami",
		Short:   "Serve HTTP answering with the host name and request headers (lab test backend)",
		Example: "  skep lab whoami --port 8080",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if port < 1 || port > 65535 {
				return badInput(fmt.Errorf("--port %d: use 1..65535", port), "")
			}
			if drain < 0 {
				return badInput(fmt.Errorf("--drain %s: must not be negative", drain), "")
			}
			ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
			if err != nil {
				return err
			}
			return serveWhoami(cmd.Context(), ln, drain)
		},
	}
	cmd.Flags().IntVar(&port, "port", 8080, "TCP port to listen on")
	cmd.Flags().DurationVar(&drain, "drain", 0, "on SIGTERM, go on answering this long before closing (as an app behind a proxy that learns of the stop late should)")
	cmd.AddCommand(newLabWhoamiShipCommand())
	return cmd
}

// newLabWhoamiShipCommand loads the backend's image into every node of a
// lab and prints its tag, for tests that deploy it with docker service create.
func newLabWhoamiShipCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:     "ship",
		Short:   "Build the whoami image and load it into every node of a lab; print its tag",
		Example: "  skep lab whoami ship --name skep",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, c, err := labCluster(name)
			if err != nil {
				return err
			}
			cli, err := dockerClient()
			if err != nil {
				return err
			}
			defer cli.Close()
			tag, err := bench.ShipWhoami(cmd.Context(), cli, c, newProgress(cmd.ErrOrStderr()).logf)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tag)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "skep", "lab name")
	return cmd
}

// serveWhoami answers on ln until ctx ends (SIGTERM), then drain longer:
// Traefik reads the swarm every few seconds, so it may still send a task
// requests for that long after swarm began to stop it.
func serveWhoami(ctx context.Context, ln net.Listener, drain time.Duration) error {
	name, _ := os.Hostname()
	srv := &http.Server{Handler: whoamiHandler(name), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		time.Sleep(drain)
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func whoamiHandler(hostname string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		fmt.Fprintf(&b, "Hostname: %s\n", hostname)
		fmt.Fprintf(&b, "RemoteAddr: %s\n", r.RemoteAddr)
		fmt.Fprintf(&b, "%s %s %s\nHost: %s\n", r.Method, r.URL.RequestURI(), r.Proto, r.Host)
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range r.Header[k] {
				fmt.Fprintf(&b, "%s: %s\n", k, v)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, b.String())
	})
}
