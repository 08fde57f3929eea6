package image

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBeatSaysElapsedOnEveryTickAndNothingAfterStop(t *testing.T) {
	tick := make(chan time.Time)
	now := time.Unix(1000, 0)
	var clock sync.Mutex
	var mu sync.Mutex
	var said []time.Duration
	stop := beat(tick, func() time.Time { clock.Lock(); defer clock.Unlock(); return now }, func(d time.Duration) {
		mu.Lock()
		said = append(said, d)
		mu.Unlock()
	})
	for _, step := range []time.Duration{15 * time.Second, 15*time.Second + 400*time.Millisecond} {
		clock.Lock()
		now = now.Add(step)
		clock.Unlock()
		tick <- now // unbuffered: returns once the beat has taken it
	}
	stop()
	stop() // twice is harmless
	select {
	case tick <- now:
		t.Fatal("a stopped beat still takes ticks")
	case <-time.After(50 * time.Millisecond):
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(said) != "[15s 30s]" {
		t.Fatalf("said %v, want [15s 30s]", said)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{999: "999 B", 1500: "1.5 kB", 182_400_000: "182 MB", 4_200_000_000: "4.2 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseStep(t *testing.T) {
	step, instr, ok := parseStep("Step 3/7 : RUN apt-get update  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends glusterfs-server\n")
	if !ok || step != "3/7" || !strings.HasPrefix(instr, "RUN apt-get update && DEBIAN") || len(instr) != 60 {
		t.Fatalf("got %q %q %v", step, instr, ok)
	}
	if _, _, ok := parseStep(" ---> Running in 1234"); ok {
		t.Fatal("a non-step line parsed as a step")
	}
	if !slowInstruction("RUN apt-get") || !slowInstruction("COPY a /b") || slowInstruction("FROM skep-base:1") || slowInstruction("ENTRYPOINT [\"/x\"]") {
		t.Fatal("slow instructions")
	}
}

func TestReadBuildFollowsStepsAndKeepsTheError(t *testing.T) {
	stream := `{"stream":"Step 1/3 : FROM skep-base:1\n"}
{"stream":" ---\u003e abc\n"}
{"stream":"Step 2/3 : RUN apt-get install -y glusterfs-server\n"}
{"stream":"E: Unable to locate package glusterfs-server\n"}
{"errorDetail":{"code":100,"message":"exit code 100"},"error":"exit code 100"}
`
	var steps []string
	out, err := readBuild(strings.NewReader(stream), func(s, instr string) { steps = append(steps, s+" "+instr) })
	if err == nil || err.Error() != "exit code 100" {
		t.Fatalf("err %v", err)
	}
	if fmt.Sprint(steps) != "[1/3 FROM skep-base:1 2/3 RUN apt-get install -y glusterfs-server]" {
		t.Fatalf("steps %v", steps)
	}
	if !strings.Contains(out, "Unable to locate package") {
		t.Fatalf("output lost: %q", out)
	}
}

func TestGoBuildLogCountsTheProgramsPackages(t *testing.T) {
	l := newGoBuildLog([]string{"github.com/traefik/traefik/v3/cmd/traefik", "github.com/a/b", "golang.org/x/net/http2"})
	// Writes split mid-line, as a pipe delivers them; std packages, errors
	// and download lines are not counted, nor a package twice.
	for _, chunk := range []string{"go: downloading github.com/a/b v1.0.0\nnet/ht", "tp\ngithub.com/a/", "b\n# github.com/a/b\ngithub.com/a/b\n", "x.go:1:2: undefined: golang.org/x/net/http2\ngolang.org/x/net/http2\n"} {
		l.Write([]byte(chunk))
	}
	if l.compiled() != 2 || l.total() != 3 {
		t.Fatalf("compiled %d of %d, want 2 of 3", l.compiled(), l.total())
	}
	g := GoProgram{Name: "traefik"}
	if got := g.progress(l, 135*time.Second); got != "compiling traefik: 2/3 packages, 2m15s" {
		t.Fatalf("progress %q", got)
	}
	if got := g.progress(nil, 15*time.Second); got != "compiling traefik: fetching its dependencies, 15s" {
		t.Fatalf("progress %q", got)
	}
	if got := g.progress(newGoBuildLog(nil), 30*time.Second); got != "compiling traefik: 30s" {
		t.Fatalf("progress %q", got)
	}
	if !strings.Contains(l.String(), "undefined") {
		t.Fatal("output not kept for the error")
	}
}

func TestLoadedLine(t *testing.T) {
	l := Loaded{Tags: []string{"skep-glusterd:1", "skep-vip:2"}, Bytes: 182_000_000, Elapsed: 12340 * time.Millisecond}
	if got := l.String(); got != "loaded skep-glusterd:1, skep-vip:2 (182 MB) in 12.3s" {
		t.Fatalf("%q", got)
	}
}
