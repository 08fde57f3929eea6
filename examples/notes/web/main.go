// Command web is the front of skep's two-service example: it keeps short
// notes in Redis, which runs as the stack's other service, cache, and which
// it reaches by that service name over the stack's own network.
//
//	PUT    /notes/NAME   saves the request body (at most 1 KiB) as note NAME
//	GET    /notes/NAME   answers it
//	DELETE /notes/NAME   removes it
//	GET    /             says how to use it and which task answered
//	GET    /healthz      ok while this process serves
//
// Usage:
//
//	web [-addr :8080] [-redis cache:6379]
//	web -check [-addr :8080]   # the image's HEALTHCHECK
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
	"regexp"
	"strings"
	"syscall"
	"time"
)

// maxNote keeps notes short: these are notes, not files.
const maxNote = 1024

// validName keeps note names to what reads well in a URL and a Redis key.
var validName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func main() {
	addr := flag.String("addr", ":8080", "address to serve HTTP on")
	redisAddr := flag.String("redis", "cache:6379", "Redis address: the cache service's name on the stack's network")
	check := flag.Bool("check", false, "ask the server on -addr for /healthz and exit 0 if it answers ok (the image has no shell or curl)")
	flag.Parse()
	if *check {
		if err := probe(*addr, 2*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "web -check:", err)
			os.Exit(1)
		}
		return
	}
	host, err := os.Hostname()
	if err != nil {
		log.Fatalf("web: host name: %v", err)
	}
	db := newRedisClient(*redisAddr, 2*time.Second)
	defer db.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, *addr, handler(db, host)); err != nil {
		log.Fatalf("web: %v", err)
	}
}

// serve answers on addr until ctx ends (swarm stops a task with SIGTERM),
// then lets requests in flight finish.
func serve(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	log.Printf("web: serving on %s", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-done
	return nil
}

func handler(db *redisClient, host string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		u := "https://" + r.Host + "/notes/shopping"
		text(w, http.StatusOK, "notes, served by %s\n"+
			"  curl -X PUT --data-binary 'milk, eggs' %s\n"+
			"  curl %s\n"+
			"  curl -X DELETE %s\n", host, u, u, u)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		// This process only: a cache that is down fails the note requests
		// (503), but restarting web would not bring it back.
		text(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("PUT /notes/{name}", func(w http.ResponseWriter, r *http.Request) {
		name, ok := noteName(w, r)
		if !ok {
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNote))
		if err != nil {
			text(w, http.StatusRequestEntityTooLarge, "a note holds at most %d bytes\n", maxNote)
			return
		}
		if _, err := db.Do(r.Context(), "SET", key(name), string(body)); err != nil {
			cacheDown(w, err)
			return
		}
		text(w, http.StatusOK, "saved %s\n", name)
	})
	mux.HandleFunc("GET /notes/{name}", func(w http.ResponseWriter, r *http.Request) {
		name, ok := noteName(w, r)
		if !ok {
			return
		}
		reply, err := db.Do(r.Context(), "GET", key(name))
		if err != nil {
			cacheDown(w, err)
			return
		}
		note, ok := reply.(string)
		if !ok {
			text(w, http.StatusNotFound, "no note %s\n", name)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, note)
	})
	mux.HandleFunc("DELETE /notes/{name}", func(w http.ResponseWriter, r *http.Request) {
		name, ok := noteName(w, r)
		if !ok {
			return
		}
		reply, err := db.Do(r.Context(), "DEL", key(name))
		if err != nil {
			cacheDown(w, err)
			return
		}
		if n, _ := reply.(int64); n == 0 {
			text(w, http.StatusNotFound, "no note %s\n", name)
			return
		}
		text(w, http.StatusOK, "deleted %s\n", name)
	})
	return mux
}

// key is the note's Redis key: a prefix, so the notes never collide with
// anything else kept in the same Redis.
func key(name string) string { return "note:" + name }

func noteName(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if !validName.MatchString(name) {
		text(w, http.StatusBadRequest, "note name %q: use 1-64 letters, digits, '.', '_' or '-'\n", name)
		return "", false
	}
	return name, true
}

func cacheDown(w http.ResponseWriter, err error) {
	log.Printf("web: %v", err)
	text(w, http.StatusServiceUnavailable, "the cache did not answer: %v\n(is the cache service running? skep stack ps notes)\n", err)
}

func text(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, format, args...)
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
