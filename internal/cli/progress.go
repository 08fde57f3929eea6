package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints one line per event, prefixed by the host it concerns,
// so parallel work on several hosts stays readable.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) hostf(host, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if host == "" {
		host = "-"
	}
	fmt.Fprintf(p.w, "%6.1fs  %-8s %s\n", time.Since(p.start).Seconds(), host, fmt.Sprintf(format, args...))
}

func (p *progress) logf(format string, args ...any) { p.hostf("", format, args...) }
