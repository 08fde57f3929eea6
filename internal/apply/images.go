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
	_, err = im.ship(ctx, e, hostName, tag)
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
	_, err := onHosts(sortedHosts(tags), func(h string) ([]string, error) { return im.ship(ctx, e, h, tags[h]...) })
	return err
}

// ship loads the tags the host lacks from the local engine, in one save.
func (im *images) ship(ctx context.Context, e *env, hostName string, tags ...string) ([]string, error) {
	remote, err := e.hosts[hostName].Docker(ctx)
	if err != nil {
		return nil, err
	}
	shipped, err := skimage.Ship(ctx, im.local, remote, tags...)
	for _, t := range shipped {
		e.logf(hostName, "loaded image %s", t)
	}
	return shipped, err
}

// ensureAll is ensure on several hosts at once: the image is built once and
// shipped to every host in parallel (a swarm service needs it on every node
// that may run a task, since no registry exists to pull from).
func (im *images) ensureAll(ctx context.Context, e *env, hostNames []string, r skimage.Recipe) (string, error) {
	tag, err := im.build(ctx, e, r)
	if err != nil {
		return "", err
	}
	_, err = onHosts(hostNames, func(h string) (string, error) { return im.ensure(ctx, e, h, r) })
	return tag, err
}

func (im *images) close() {
	if im.local != nil {
		im.local.Close()
	}
}
