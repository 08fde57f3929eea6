package image

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// fakeRecipe stands for a build: it records when it ran and how many of
// its kind ran at once, and may wait for a signal or fail.
type fakeRecipe struct {
	name  string
	kind  slot
	deps  []Recipe
	rec   *recorder
	wait  chan struct{} // the build blocks until this is closed, when set
	fails bool
}

type recorder struct {
	mu      sync.Mutex
	running map[slot]int
	most    map[slot]int
	order   []string // builds as they finish
	started map[string]chan struct{}
	count   map[string]int
}

func newRecorder(names ...string) *recorder {
	r := &recorder{running: map[slot]int{}, most: map[slot]int{}, started: map[string]chan struct{}{}, count: map[string]int{}}
	for _, n := range names {
		r.started[n] = make(chan struct{})
	}
	return r
}

func (f fakeRecipe) Tag() (string, error) { return "skep-" + f.name + ":0", nil }
func (f fakeRecipe) needs() []Recipe      { return f.deps }
func (f fakeRecipe) slot() slot           { return f.kind }

func (f fakeRecipe) Build(ctx context.Context, _ *client.Client, _ func(string, ...any)) (string, error) {
	r := f.rec
	r.mu.Lock()
	r.count[f.name]++
	r.running[f.kind]++
	r.most[f.kind] = max(r.most[f.kind], r.running[f.kind])
	if c, ok := r.started[f.name]; ok && r.count[f.name] == 1 {
		close(c)
	}
	r.mu.Unlock()
	if f.wait != nil {
		select {
		case <-f.wait:
		case <-time.After(5 * time.Second):
			return "", errors.New("never released: the builds did not run side by side")
		}
	}
	r.mu.Lock()
	r.running[f.kind]--
	r.order = append(r.order, f.name)
	r.mu.Unlock()
	if f.fails {
		return "", errors.New(f.name + " broke")
	}
	return f.Tag()
}

func TestBuildsRunIndependentBuildsAtOnce(t *testing.T) {
	rec := newRecorder("traefik", "glusterd")
	base := fakeRecipe{name: "base", rec: rec}
	release := make(chan struct{})
	// The compile only finishes once a Debian recipe is building, and the
	// recipe only once the compile is: they must run at the same time.
	traefik := fakeRecipe{name: "traefik", kind: goSlot, rec: rec, wait: release}
	pebble := fakeRecipe{name: "pebble", kind: goSlot, rec: rec}
	glusterd := fakeRecipe{name: "glusterd", deps: []Recipe{base}, rec: rec, wait: release}
	keepalived := fakeRecipe{name: "keepalived", deps: []Recipe{base}, rec: rec}
	vip := fakeRecipe{name: "vip", deps: []Recipe{keepalived}, rec: rec}
	go func() {
		<-rec.started["traefik"]
		<-rec.started["glusterd"]
		close(release)
	}()
	b := NewBuilds(nil, func(string, ...any) {})
	tags, err := b.Wait(context.Background(), traefik, glusterd, vip, pebble, glusterd)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tags, " ") != "skep-traefik:0 skep-glusterd:0 skep-vip:0 skep-pebble:0 skep-glusterd:0" {
		t.Fatalf("tags %v", tags)
	}
	if err := b.WaitAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, n := range rec.count {
		if n != 1 {
			t.Errorf("%s built %d times", name, n)
		}
	}
	if len(rec.count) != 6 {
		t.Errorf("built %v, want the 5 recipes and the base", rec.count)
	}
	if rec.most[goSlot] != 1 {
		t.Errorf("%d Go compiles ran at once, want 1", rec.most[goSlot])
	}
	if rec.most[engineSlot] > slotSize[engineSlot] {
		t.Errorf("%d engine builds at once, more than %d", rec.most[engineSlot], slotSize[engineSlot])
	}
	pos := map[string]int{}
	for i, n := range rec.order {
		pos[n] = i
	}
	for _, after := range []string{"glusterd", "keepalived", "vip"} {
		if pos["base"] > pos[after] {
			t.Errorf("%s finished before the base it is built from: %v", after, rec.order)
		}
	}
	if pos["keepalived"] > pos["vip"] {
		t.Errorf("vip finished before keepalived: %v", rec.order)
	}
}

func TestBuildsReportEveryFailureWithItsImage(t *testing.T) {
	rec := newRecorder()
	base := fakeRecipe{name: "base", rec: rec}
	broken := fakeRecipe{name: "glusterd", deps: []Recipe{base}, rec: rec, fails: true}
	compile := fakeRecipe{name: "traefik", kind: goSlot, rec: rec, fails: true}
	onBroken := fakeRecipe{name: "vip", deps: []Recipe{broken}, rec: rec}
	fine := fakeRecipe{name: "socket-proxy", deps: []Recipe{base}, rec: rec}
	b := NewBuilds(nil, func(string, ...any) {})
	b.Start(context.Background(), broken, compile, onBroken, fine)
	err := b.WaitAll(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"image glusterd: glusterd broke", "image traefik: traefik broke", "image vip: not built, it is built from image glusterd, which failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "socket-proxy") {
		t.Errorf("a good build is reported:\n%s", msg)
	}
	if rec.count["vip"] != 0 {
		t.Error("vip was built on a failed image")
	}
	if _, err := b.Wait(context.Background(), fine); err != nil {
		t.Errorf("socket-proxy: %v", err)
	}
}

func TestBuildsStopWaitingWhenCanceled(t *testing.T) {
	rec := newRecorder("traefik")
	never := make(chan struct{})
	defer close(never)
	slow := fakeRecipe{name: "traefik", kind: goSlot, rec: rec, wait: never}
	b := NewBuilds(nil, func(string, ...any) {})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-rec.started["traefik"]; cancel() }()
	if _, err := b.Wait(ctx, slow); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want canceled", err)
	}
}

func TestWaitAllLeavesOutBuildsStoppedAfterAFailure(t *testing.T) {
	rec := newRecorder("traefik")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The compile fails only because it was stopped, as a killed go build does.
	stopped := stoppable{fakeRecipe{name: "traefik", kind: goSlot, rec: rec}}
	broken := fakeRecipe{name: "node", rec: rec, fails: true}
	b := NewBuilds(nil, func(string, ...any) {})
	b.Start(ctx, stopped)
	<-rec.started["traefik"]
	if _, err := b.Wait(ctx, broken); err == nil {
		t.Fatal("no error")
	}
	cancel()
	err := b.WaitAll(context.Background())
	if err == nil || err.Error() != "image node: node broke" {
		t.Fatalf("err %v, want only the node's failure", err)
	}
}

// stoppable builds until its context ends, then fails as a killed process does.
type stoppable struct{ fakeRecipe }

func (s stoppable) Build(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error) {
	s.rec.mu.Lock()
	s.rec.count[s.name]++
	close(s.rec.started[s.name])
	s.rec.mu.Unlock()
	<-ctx.Done()
	return "", errors.New("signal: killed")
}

func TestRecipesSayWhatTheyNeed(t *testing.T) {
	if n := Dockerfile("glusterd").needs(); len(n) != 1 || n[0] != (baseImage{}) {
		t.Errorf("a Dockerfile recipe needs the base, got %v", n)
	}
	if n := (Self{Name: "vip", From: "keepalived"}).needs(); len(n) != 1 || n[0] != Dockerfile("keepalived") {
		t.Errorf("Self needs its From recipe, got %v", n)
	}
	if n := (Self{Name: "skepd"}).needs(); len(n) != 1 || n[0] != Dockerfile("runtime") {
		t.Errorf("Self defaults to the runtime recipe, got %v", n)
	}
	if (GoProgram{}).slot() != goSlot || len((GoProgram{}).needs()) != 0 {
		t.Error("a Go program needs no image and takes the Go slot")
	}
}
