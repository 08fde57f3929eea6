// Command counter is skep's example of a stateful web app: every GET /
// adds one to a count kept in a file on a volume and answers the new count
// and the host name, so after the node running it dies the count goes on
// from where it was, answered from another node.
//
// An increment is acknowledged only once it is on disk: the new count is
// written to a temporary file in the same directory, fsynced, renamed over
// the old one and the directory fsynced. A node killed at any moment leaves
// either the old count or the new one, never a torn file, and never loses a
// count a client was told.
//
// It runs as one replica: two tasks writing the same file would each count
// from what they read and lose the other's increments.
//
// Usage:
//
//	counter [-addr :8080] [-file /data/count]
//	counter -check [-addr :8080]   # the image's HEALTHCHECK: exit 0 if /healthz answers ok
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", ":8080", "address to serve HTTP on")
	file := flag.String("file", "/data/count", "file keeping the count (on a volume, so it survives the task)")
	check := flag.Bool("check", false, "ask the server on -addr for /healthz and exit 0 if it answers ok (the image has no shell or curl)")
	flag.Parse()
	if *check {
		if err := probe(*addr, 2*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "counter -check:", err)
			os.Exit(1)
		}
		return
	}
	host, err := os.Hostname()
	if err != nil {
		log.Fatalf("counter: host name: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, *addr, &store{path: *file}, host); err != nil {
		log.Fatalf("counter: %v", err)
	}
}

// serve answers on addr until ctx ends (swarm stops a task with SIGTERM),
// then lets requests in flight finish so no increment is cut off halfway.
func serve(ctx context.Context, addr string, s *store, host string) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("data directory: %w (is the volume mounted?)", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler(s, host), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	log.Printf("counter: serving on %s, count in %s", ln.Addr(), s.path)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-done
	return nil
}

func handler(s *store, host string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		n, err := s.increment(r.Context())
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return // the client is gone: nobody is told this count, so it is not taken
		}
		if err != nil {
			log.Printf("counter: %v", err)
			http.Error(w, "count not saved: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "count %d from %s\n", n, host)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		// The volume must answer: a task whose storage is gone cannot count,
		// and an unhealthy task is replaced by swarm.
		if _, err := os.Stat(filepath.Dir(s.path)); err != nil {
			http.Error(w, "data directory: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// store keeps the count in one file. The file, not memory, is the truth:
// it is read on every increment, so a task started on another node after a
// failure goes on from the last count saved.
type store struct {
	path string
	mu   sync.Mutex
}

// increment adds one, unless the request gave up while it waited for the
// lock: after a storage stall, requests whose clients left long ago would
// otherwise each write a count nobody reads, one after the other, and hold
// up the clients still waiting.
func (s *store) increment(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.read()
	if err != nil {
		return 0, err
	}
	n++
	if err := s.write(n); err != nil {
		return 0, err
	}
	return n, nil
}

// read returns the saved count, 0 when there is none yet. A file that does
// not hold a number is an error, not a fresh start: resetting would lose
// the count silently.
func (s *store) read() (int64, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s does not hold a count (%q); fix or remove it", s.path, b)
	}
	return n, nil
}

// write replaces the count atomically and durably: temporary file, fsync,
// rename, fsync of the directory (which makes the rename itself durable).
func (s *store) write(n int64) error {
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	_, err = fmt.Fprintf(tmp, "%d\n", n)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// probe is the health check: GET /healthz on the local server.
func probe(addr string, timeout time.Duration) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
