package apply

import (
	"context"
	"errors"
	"sync"

	"github.com/docker/docker/client"

	skimage "skep/internal/image"
)

// images builds skep's node-service images on this machine's engine (each
// once per run, independent ones at the same time) and ships them to hosts
// that lack them; phases use it so no registry is ever needed.
type images struct {
	mu     sync.Mutex
	local  *client.Client
	builds *skimage.Builds
}

// tagFor is the tag a recipe will have, without building it (for plans).
func (im *images) tagFor(r skimage.Recipe) (string, error) { return r.Tag() }

// start connects to the local engine the first time it is needed.
func (im *images) start(e *env) (*skimage.Builds, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.builds == nil {
		cli, err := skimage.Local()
		if err != nil {
			return nil, err
		}
		im.local = cli
		im.builds = skimage.NewBuilds(cli, func(f string, a ...any) { e.logf("", f, a...) })
	}
	return im.builds, nil
}

// preload builds every recipe the hosts need, all at once, and ships each
// host its images as soon as they are built, hosts in parallel. The images
// on the Debian base go in one save per host, so the base crosses the wire
// once per host; an image on no base (a compiled Go program) goes alone,
// so the others need not wait for its compile.
func (im *images) preload(ctx context.Context, e *env, need map[string][]skimage.Recipe) error {
	b, err := im.start(e)
	if err != nil {
		return err
	}
	var all []skimage.Recipe
	seen := map[string]bool{}
	for _, h := range sortedHosts(need) {
		for _, r := range need[h] {
			if t, err := r.Tag(); err != nil || !seen[t] {
				seen[t] = true
				all = append(all, r)
			}
		}
	}
	b.Start(ctx, all...)
	_, shipErr := onHosts(sortedHosts(need), func(h string) ([]string, error) {
		var loaded []string
		for _, group := range shipGroups(need[h]) {
			tags, err := b.Wait(ctx, group...)
			if err != nil {
				continue // reported once below, not once per host
			}
			shipped, err := im.ship(ctx, e, h, tags...)
			loaded = append(loaded, shipped...)
			if err != nil {
				return loaded, err
			}
		}
		return loaded, nil
	})
	_, buildErr := b.Wait(ctx, all...)
	return errors.Join(buildErr, shipErr)
}

// shipGroups splits a host's recipes into the loads that carry them: one
// for all on the Debian base (they share its layers), one for each of the
// rest, in the order given.
func shipGroups(recipes []skimage.Recipe) [][]skimage.Recipe {
	var onBase []skimage.Recipe
	var groups [][]skimage.Recipe
	for _, r := range recipes {
		if skimage.OnBase(r) {
			onBase = append(onBase, r)
		} else {
			groups = append(groups, []skimage.Recipe{r})
		}
	}
	if len(onBase) > 0 {
		groups = append([][]skimage.Recipe{onBase}, groups...)
	}
	return groups
}

// ship loads the tags the host lacks from the local engine, in one save,
// and says what it loaded, how large and how long it took.
func (im *images) ship(ctx context.Context, e *env, hostName string, tags ...string) ([]string, error) {
	remote, err := e.hosts[hostName].Docker(ctx)
	if err != nil {
		return nil, err
	}
	logf := func(f string, a ...any) { e.logf(hostName, f, a...) }
	loaded, err := skimage.ShipLogged(ctx, im.local, remote, logf, tags...)
	if len(loaded.Tags) > 0 {
		logf("%s", loaded)
	}
	return loaded.Tags, err
}

func (im *images) close() {
	if im.local != nil {
		im.local.Close()
	}
}
