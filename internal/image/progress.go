package image

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// heartbeatEvery is how often a long build says it is still working: often
// enough that whoever watches knows it is alive, rare enough that the log
// of an 11-minute compile stays at about 40 lines (nothing is redrawn, so
// a log file reads as a terminal does).
const heartbeatEvery = 15 * time.Second

// heartbeat calls say with the time since it started, every heartbeatEvery,
// until the returned stop is called. stop waits for a say in progress, so
// nothing is printed after the work's own closing line.
func heartbeat(say func(elapsed time.Duration)) (stop func()) {
	t := time.NewTicker(heartbeatEvery)
	stopBeat := beat(t.C, time.Now, say)
	return func() { stopBeat(); t.Stop() }
}

// beat is heartbeat with its clock given, for tests.
func beat(tick <-chan time.Time, now func() time.Time, say func(time.Duration)) (stop func()) {
	start := now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-tick:
				say(now().Sub(start).Round(time.Second))
			}
		}
	}()
	return sync.OnceFunc(func() { close(done); wg.Wait() })
}

// humanBytes is a size as people read it: 182 MB, 4.2 GB.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v >= 10 {
		return fmt.Sprintf("%.0f %cB", v, "kMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTPE"[exp])
}

// seconds is an elapsed time as the progress lines print it: 12.3s.
func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// stepLine matches the classic builder's "Step 3/7 : RUN apt-get ..." line.
var stepLine = regexp.MustCompile(`^Step (\d+)/(\d+) : (.*)$`)

// parseStep reads one line of build output: the step it starts ("3/7") and
// its instruction, shortened to fit a progress line.
func parseStep(line string) (step, instr string, ok bool) {
	m := stepLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return "", "", false
	}
	instr = strings.Join(strings.Fields(m[3]), " ")
	if len(instr) > 60 {
		instr = instr[:57] + "..."
	}
	return m[1] + "/" + m[2], instr, true
}

// goBuildLog is the stderr of `go build -v`, which names each package as
// it compiles it; those of deps (the program's packages outside the
// standard library, from go list) are counted. Everything else (errors,
// "# pkg" headers, "go: downloading ...") is only kept, with the rest, for
// the error's tail.
type goBuildLog struct {
	mu      sync.Mutex
	deps    map[string]bool
	out     bytes.Buffer
	partial []byte
	pkgs    int
	want    int // len(deps) at the start
}

func newGoBuildLog(deps []string) *goBuildLog {
	l := &goBuildLog{deps: map[string]bool{}, want: len(deps)}
	for _, d := range deps {
		l.deps[d] = true
	}
	return l
}

func (l *goBuildLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		if pkg := string(l.partial[:i]); l.deps[pkg] {
			l.pkgs++
			delete(l.deps, pkg) // a package is compiled once
		}
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

// compiled is how many of the program's packages have been compiled.
func (l *goBuildLog) compiled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pkgs
}

// total is how many packages the build may compile; 0 when unknown.
func (l *goBuildLog) total() int { return l.want }

func (l *goBuildLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.String()
}
