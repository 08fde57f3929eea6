package apply

import (
	"context"
	"sort"
	"strings"

	skimage "skep/internal/image"
)

// planImages loads every image a host lacks in one save per host, all hosts
// at once, before the components start. The images share the Debian base,
// which then crosses the wire once per host instead of once per image and
// host; the component phases find their images in place.
func planImages(ctx context.Context, e *env) ([]Step, error) {
	need := nodeImages(e.cluster)
	missing, _ := onHosts(sortedHosts(need), func(h string) ([]skimage.Recipe, error) {
		return missingImages(ctx, e, h, need[h]), nil
	})
	lacking := map[string][]skimage.Recipe{}
	for h, list := range missing {
		if len(list) > 0 {
			lacking[h] = list
		}
	}
	if len(lacking) == 0 {
		return nil, nil
	}
	names := sortedHosts(lacking)
	tags := map[string]bool{}
	for _, list := range lacking {
		for _, r := range list {
			t, _ := r.Tag()
			tags[t] = true
		}
	}
	var list []string
	for t := range tags {
		list = append(list, t)
	}
	sort.Strings(list)
	return []Step{{
		Host:   strings.Join(names, ","),
		Action: "load images " + strings.Join(list, " "),
		Reason: "the components run them there and no registry serves them",
		run:    func(ctx context.Context) error { return e.images.preload(ctx, e, lacking) },
	}}, nil
}

// missingImages asks the host's engine which of the recipes' images it
// lacks. An unreachable engine counts as lacking them all: the load step
// then reports the real error.
func missingImages(ctx context.Context, e *env, hostName string, recipes []skimage.Recipe) []skimage.Recipe {
	h, ok := e.hosts[hostName]
	if !ok {
		return nil
	}
	cli, err := h.Docker(ctx)
	if err != nil {
		return recipes
	}
	var out []skimage.Recipe
	for _, r := range recipes {
		tag, err := r.Tag()
		if err != nil {
			out = append(out, r)
			continue
		}
		if _, err := cli.ImageInspect(ctx, tag); err != nil {
			out = append(out, r)
		}
	}
	return out
}
