package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
)

// Logs writes the logs of one service of stack name (its name in the
// compose file), or of all its services when service is "", to w through
// the manager: swarm gathers them from every node the tasks ran on. Each
// line starts with the service's name ("web | ..."), stdout and stderr
// alike. With follow it streams until ctx ends or the services are
// removed.
func Logs(ctx context.Context, mgr client.APIClient, name, service string, w io.Writer, follow bool) error {
	svcs, err := listServices(ctx, mgr, name)
	if err != nil {
		return err
	}
	if len(svcs) == 0 {
		return fmt.Errorf("no stack %s: no service carries the label %s=%s", name, LabelNamespace, name)
	}
	if service != "" {
		svcs, err = pickService(svcs, name, service)
		if err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := &lockedWriter{w: w}
	errs := make(chan error, len(svcs))
	var wg sync.WaitGroup
	for _, s := range svcs {
		wg.Go(func() {
			if err := serviceLogs(ctx, mgr, s, strings.TrimPrefix(s.Spec.Name, name+"_"), out, follow); err != nil {
				errs <- err
				cancel() // one stream failing ends the others: the output would mislead
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// pickService keeps the service named service in the compose file.
func pickService(svcs []swarm.Service, name, service string) ([]swarm.Service, error) {
	var names []string
	for _, s := range svcs {
		if s.Spec.Name == name+"_"+service {
			return []swarm.Service{s}, nil
		}
		names = append(names, strings.TrimPrefix(s.Spec.Name, name+"_"))
	}
	sort.Strings(names)
	return nil, fmt.Errorf("stack %s has no service %s; it has %s", name, service, strings.Join(names, ", "))
}

func serviceLogs(ctx context.Context, mgr client.APIClient, s swarm.Service, prefix string, out *lockedWriter, follow bool) error {
	rc, err := mgr.ServiceLogs(ctx, s.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow})
	if err != nil {
		return fmt.Errorf("logs of service %s: %w", s.Spec.Name, err)
	}
	defer rc.Close()
	stdout, stderr := out.lines(prefix), out.lines(prefix)
	// A service with a terminal sends its output raw; any other
	// multiplexes stdout and stderr in frames.
	if c := s.Spec.TaskTemplate.ContainerSpec; c != nil && c.TTY {
		_, err = io.Copy(stdout, rc)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, rc)
	}
	if err == nil {
		err = errors.Join(stdout.flush(), stderr.flush())
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs of service %s: %w", s.Spec.Name, err)
	}
	return nil
}

// lockedWriter is the one output of all streams: it receives whole lines
// only, so lines of two services never mix.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) lines(prefix string) *prefixer {
	return &prefixer{out: l, prefix: []byte(prefix + " | ")}
}

func (l *lockedWriter) write(p []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.w.Write(p)
	return err
}

// prefixer cuts one stream into lines and writes each, prefixed, whole.
type prefixer struct {
	out    *lockedWriter
	prefix []byte
	buf    []byte // the start of a line not yet ended
}

func (p *prefixer) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if err := p.emit(p.buf[:i+1]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
}

// flush writes what is left of an unended last line.
func (p *prefixer) flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	line := append(p.buf, '\n')
	p.buf = nil
	return p.emit(line)
}

// emit writes one line ending in "\n"; a terminal's "\r\n" loses its "\r".
func (p *prefixer) emit(line []byte) error {
	if n := len(line); n >= 2 && line[n-2] == '\r' {
		line = append(line[:n-2:n-2], '\n')
	}
	out := make([]byte, 0, len(p.prefix)+len(line))
	return p.out.write(append(append(out, p.prefix...), line...))
}
