package image

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/docker/docker/client"
)

// slot is the kind of machine time a build spends; builds of different
// kinds run side by side, builds of one kind only as many as it allows.
type slot int

const (
	// engineSlot: debootstrap and Dockerfile builds, which mostly wait on
	// the Debian mirror and dpkg's fsyncs; two at once keep a 2-core
	// machine busy without starving a compile beside them.
	engineSlot slot = iota
	// goSlot: a Go compile takes every core it is given; two at once only
	// share them and both finish late.
	goSlot
)

var slotSize = map[slot]int{engineSlot: 2, goSlot: 1}

// scheduled is what Builds asks of a recipe: the recipes it is built FROM,
// which must exist first, and the kind of time it spends. Recipes that do
// not say need nothing and spend engine time.
type scheduled interface {
	needs() []Recipe
	slot() slot
}

func (Dockerfile) needs() []Recipe { return []Recipe{baseImage{}} }
func (Dockerfile) slot() slot      { return engineSlot }
func (s Self) needs() []Recipe     { return []Recipe{Dockerfile(s.from())} }
func (Self) slot() slot            { return engineSlot }
func (GoProgram) needs() []Recipe  { return nil }
func (GoProgram) slot() slot       { return goSlot }
func (baseImage) needs() []Recipe  { return nil }
func (baseImage) slot() slot       { return engineSlot }

// baseImage is the Debian base as a recipe, so that the recipes on it wait
// for one debootstrap instead of each taking its lock in turn.
type baseImage struct{}

func (baseImage) Tag() (string, error) { return BaseTag(), nil }
func (baseImage) Build(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error) {
	return Base(ctx, cli, logf)
}

// Builds makes images on the local engine, each at most once, and builds
// that do not depend on each other at the same time: the Traefik compile
// runs while the Debian recipes install their packages, and every recipe
// on the base waits only for the base. Each failure is reported with the
// image it belongs to, all of them, not only the first.
type Builds struct {
	cli   *client.Client
	logf  func(string, ...any)
	mu    sync.Mutex
	jobs  map[string]*job // by tag
	slots map[slot]chan struct{}
}

type job struct {
	name string // the image's name for errors: glusterd, traefik, base
	done chan struct{}
	tag  string
	err  error
}

// NewBuilds builds on the engine cli, printing progress with logf.
func NewBuilds(cli *client.Client, logf func(string, ...any)) *Builds {
	b := &Builds{cli: cli, logf: logf, jobs: map[string]*job{}, slots: map[slot]chan struct{}{}}
	for s, n := range slotSize {
		b.slots[s] = make(chan struct{}, n)
	}
	return b
}

// Start begins building the recipes (and what they are built from) that
// are not already under way, and returns at once.
func (b *Builds) Start(ctx context.Context, recipes ...Recipe) {
	for _, r := range recipes {
		b.job(ctx, r)
	}
}

// Wait starts the recipes if need be and waits for them, returning their
// tags in order and every failure among them.
func (b *Builds) Wait(ctx context.Context, recipes ...Recipe) ([]string, error) {
	jobs := make([]*job, len(recipes))
	for i, r := range recipes {
		jobs[i] = b.job(ctx, r)
	}
	tags := make([]string, len(recipes))
	var errs []error
	for i, j := range jobs {
		select {
		case <-j.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if j.err != nil {
			errs = append(errs, j.err)
		}
		tags[i] = j.tag
	}
	return tags, errors.Join(errs...)
}

// WaitAll waits for every build started and returns every failure, in the
// order of the images' tags. Builds stopped by their context's end did not
// fail and are left out, so that after one failure the caller can cancel
// the rest and report only what went wrong.
func (b *Builds) WaitAll(ctx context.Context) error {
	b.mu.Lock()
	var tags []string
	for t := range b.jobs {
		tags = append(tags, t)
	}
	b.mu.Unlock()
	sort.Strings(tags)
	var errs []error
	for _, t := range tags {
		b.mu.Lock()
		j := b.jobs[t]
		b.mu.Unlock()
		select {
		case <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if j.err != nil && !errors.Is(j.err, context.Canceled) {
			errs = append(errs, j.err)
		}
	}
	return errors.Join(errs...)
}

// job returns the build of r, starting it (after the builds it needs) the
// first time r is asked for.
func (b *Builds) job(ctx context.Context, r Recipe) *job {
	tag, err := r.Tag()
	if err != nil {
		j := &job{done: make(chan struct{}), err: fmt.Errorf("image %T: %w", r, err)}
		close(j.done)
		return j
	}
	b.mu.Lock()
	if j, ok := b.jobs[tag]; ok {
		b.mu.Unlock()
		return j
	}
	j := &job{name: imageName(tag), done: make(chan struct{}), tag: tag}
	b.jobs[tag] = j
	b.mu.Unlock()

	kind, needs := engineSlot, []Recipe(nil)
	if s, ok := r.(scheduled); ok {
		kind, needs = s.slot(), s.needs()
	}
	deps := make([]*job, len(needs))
	for i, n := range needs {
		deps[i] = b.job(ctx, n)
	}
	go func() {
		defer close(j.done)
		j.err = b.run(ctx, j, r, kind, deps)
	}()
	return j
}

func (b *Builds) run(ctx context.Context, j *job, r Recipe, kind slot, deps []*job) error {
	for _, d := range deps {
		select {
		case <-d.done:
		case <-ctx.Done():
			return fmt.Errorf("image %s: %w", j.name, ctx.Err())
		}
		if d.err != nil {
			// The cause is reported with its own image.
			return fmt.Errorf("image %s: not built, it is built from image %s, which failed", j.name, d.name)
		}
	}
	select {
	case b.slots[kind] <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("image %s: %w", j.name, ctx.Err())
	}
	defer func() { <-b.slots[kind] }()
	tag, err := r.Build(ctx, b.cli, b.logf)
	if err != nil && ctx.Err() != nil {
		// Stopped, not failed: a killed compile says only "signal: killed".
		return fmt.Errorf("image %s: %w", j.name, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("image %s: %w", j.name, err)
	}
	j.tag = tag
	return nil
}

// imageName is the short name of a skep image for messages: skep-NAME:HASH
// is NAME.
func imageName(tag string) string {
	name, _, _ := strings.Cut(tag, ":")
	return strings.TrimPrefix(name, "skep-")
}

// OnBase tells whether the recipe's image is built on the Debian base (and
// so shares its layers with the others on it).
func OnBase(r Recipe) bool {
	if _, ok := r.(baseImage); ok {
		return true
	}
	s, ok := r.(scheduled)
	if !ok {
		return false
	}
	for _, n := range s.needs() {
		if OnBase(n) {
			return true
		}
	}
	return false
}
