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
	built map[string]string
	logf  func(host, format string, args ...any)
}

// tagFor is the tag a recipe will have, without building it (for plans).
func (im *images) tagFor(recipe string) (string, error) { return skimage.Tag(recipe) }

// ensure builds the recipe locally if needed and loads it into the host's
// engine if missing, returning the tag to run.
func (im *images) ensure(ctx context.Context, e *env, hostName, recipe string) (string, error) {
	im.mu.Lock()
	if im.local == nil {
		cli, err := skimage.Local()
		if err != nil {
			im.mu.Unlock()
			return "", err
		}
		im.local = cli
		im.built = map[string]string{}
	}
	tag, ok := im.built[recipe]
	if !ok {
		var err error
		tag, err = skimage.Build(ctx, im.local, recipe, func(f string, a ...any) { e.logf("", f, a...) })
		if err != nil {
			im.mu.Unlock()
			return "", err
		}
		im.built[recipe] = tag
	}
	im.mu.Unlock()
	remote, err := e.hosts[hostName].Docker(ctx)
	if err != nil {
		return "", err
	}
	shipped, err := skimage.Ship(ctx, im.local, remote, tag)
	if shipped {
		e.logf(hostName, "loaded image %s", tag)
	}
	return tag, err
}

func (im *images) close() {
	if im.local != nil {
		im.local.Close()
	}
}
