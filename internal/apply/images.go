package apply

import (
	"context"
	"sync"

	"github.com/docker/docker/client"

	skimage "skep/internal/image"
)

// images builds skep's node-service images on this machine's engine (once
// per run) and ships them to hosts that lack them; phases use it so no
// registry is ever needed.
type images struct {
	mu    sync.Mutex
	local *client.Client
	built map[string]string // recipe tag -> built tag
}

// tagFor is the tag a recipe will have, without building it (for plans).
func (im *images) tagFor(r skimage.Recipe) (string, error) { return r.Tag() }

// build makes the recipe on the local engine once per run.
func (im *images) build(ctx context.Context, e *env, r skimage.Recipe) (string, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.local == nil {
		cli, err := skimage.Local()
		if err != nil {
			return "", err
		}
		im.local = cli
		im.built = map[string]string{}
	}
	want, err := r.Tag()
	if err != nil {
		return "", err
	}
	if tag, ok := im.built[want]; ok {
		return tag, nil
	}
	tag, err := r.Build(ctx, im.local, func(f string, a ...any) { e.logf("", f, a...) })
	if err != nil {
		return "", err
	}
	im.built[want] = tag
	return tag, nil
}

// ensure builds the recipe locally if needed and loads it into the host's
// engine if missing, returning the tag to run.
func (im *images) ensure(ctx context.Context, e *env, hostName string, r skimage.Recipe) (string, error) {
	tag, err := im.build(ctx, e, r)
	if err != nil {
		return "", err
	}
	remote, err := e.hosts[hostName].Docker(ctx)
	if err != nil {
		return "", err
	}
	shipped, err := skimage.Ship(ctx, im.local, remote, tag)
	for _, t := range shipped {
		e.logf(hostName, "loaded image %s", t)
	}
	return tag, err
}

// preload builds every recipe a host needs and ships each host its missing
// images in one save, hosts in parallel: the images share the Debian base,
// which then crosses the wire once per host instead of once per image.
func (im *images) preload(ctx context.Context, e *env, need map[string][]skimage.Recipe) error {
	tags := map[string][]string{}
	for h, recipes := range need {
		for _, r := range recipes {
			tag, err := im.build(ctx, e, r)
			if err != nil {
				return err
			}
			tags[h] = append(tags[h], tag)
		}
	}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for h, list := range tags {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				remote, err := e.hosts[h].Docker(ctx)
				if err != nil {
					return err
				}
				shipped, err := skimage.Ship(ctx, im.local, remote, list...)
				for _, t := range shipped {
					e.logf(h, "loaded image %s", t)
				}
				return err
			}()
			if err != nil {
				mu.Lock()
				errs[h] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return joinHostErrors(errs)
}

// ensureAll is ensure on several hosts at once: the image is built once and
// shipped to every host in parallel (a swarm service needs it on every node
// that may run a task, since no registry exists to pull from).
func (im *images) ensureAll(ctx context.Context, e *env, hostNames []string, r skimage.Recipe) (string, error) {
	tag, err := im.build(ctx, e, r)
	if err != nil {
		return "", err
	}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range hostNames {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := im.ensure(ctx, e, h, r); err != nil {
				mu.Lock()
				errs[h] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return tag, joinHostErrors(errs)
}

func (im *images) close() {
	if im.local != nil {
		im.local.Close()
	}
}
