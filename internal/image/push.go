package image

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// What Push did with an image on a node.
const (
	ActionLoaded  = "loaded"  // the node lacked it, or had another image under the tag
	ActionPresent = "present" // the node had it with the local ID
)

// LocalImage is an image of the local engine, by the tag Push loads it
// under and its ID there.
type LocalImage struct {
	Tag string
	ID  string
}

// Placed is one image on one node after Push.
type Placed struct {
	Image  string `json:"image"`
	ID     string `json:"id"` // as the node reports it
	Node   string `json:"node"`
	Action string `json:"action"`
}

// ResolveLocal finds the named images in the local engine. A name without
// a tag means :latest, as for docker pull and swarm. An image the engine
// lacks is an error naming every one of them and how to get them, so
// nothing is shipped until all are there.
func ResolveLocal(ctx context.Context, local client.ImageAPIClient, names ...string) ([]LocalImage, error) {
	var out []LocalImage
	var missing []string
	seen := map[string]bool{}
	for _, name := range names {
		tag, err := pushTag(name)
		if err != nil {
			return nil, err
		}
		if seen[tag] {
			continue
		}
		seen[tag] = true
		got, err := local.ImageInspect(ctx, tag)
		if errdefs.IsNotFound(err) {
			missing = append(missing, tag)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("local Docker engine: inspect %s: %w", tag, err)
		}
		out = append(out, LocalImage{Tag: tag, ID: got.ID})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("not in this machine's Docker engine: %s; build it (docker build -t %s .) or pull it (docker pull %s) first, then push again",
			strings.Join(missing, ", "), missing[0], missing[0])
	}
	return out, nil
}

// pushTag is the tag an image is saved and loaded under. A digest or an
// ID names no tag: docker load would leave the image nameless on the node.
func pushTag(name string) (string, error) {
	if strings.HasPrefix(name, "sha256:") {
		return "", fmt.Errorf("%s is an image ID; push it by a name (docker tag %s myapp:1, then push myapp:1)", name, name)
	}
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", fmt.Errorf("%q is not an image name: %w", name, err)
	}
	if _, ok := ref.(reference.Digested); ok {
		return "", fmt.Errorf("%s names a registry digest, which a loaded image does not keep; push a tag (%s)", name, reference.FamiliarName(ref)+":TAG")
	}
	return reference.FamiliarString(reference.TagNameOnly(ref)), nil
}

// Push makes the images present on every node, loading each node what it
// lacks from the local engine (Ship's save and load, one stream per node),
// all nodes at once. A node has an image when its tag there has the local
// ID; a tag with another image under it is replaced. logf gets progress
// lines per node. It returns one Placed per image per node that answered,
// sorted by image then node, and an error joining every node's failure.
//
// nodes may be any engine clients (host.Engines gives full ones).
func Push[E client.ImageAPIClient](ctx context.Context, local client.ImageAPIClient, images []LocalImage, nodes map[string]E,
	logf func(node, format string, args ...any)) ([]Placed, error) {
	var mu sync.Mutex
	var placed []Placed
	var errs []error
	var wg sync.WaitGroup
	for name, remote := range nodes {
		wg.Go(func() {
			p, err := pushNode(ctx, local, remote, images, func(f string, a ...any) { logf(name, f, a...) })
			mu.Lock()
			defer mu.Unlock()
			for i := range p {
				p[i].Node = name
			}
			placed = append(placed, p...)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		})
	}
	wg.Wait()
	sort.Slice(placed, func(i, j int) bool {
		if placed[i].Image != placed[j].Image {
			return placed[i].Image < placed[j].Image
		}
		return placed[i].Node < placed[j].Node
	})
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return placed, errors.Join(errs...)
}

// pushNode loads one node the images it lacks, in one save.
func pushNode(ctx context.Context, local, remote client.ImageAPIClient, images []LocalImage, logf func(string, ...any)) ([]Placed, error) {
	var placed []Placed
	var missing []string
	var present []string
	for _, im := range images {
		got, err := remote.ImageInspect(ctx, im.Tag)
		switch {
		case err == nil && got.ID == im.ID:
			placed = append(placed, Placed{Image: im.Tag, ID: got.ID, Action: ActionPresent})
			present = append(present, im.Tag)
		case err == nil || errdefs.IsNotFound(err):
			missing = append(missing, im.Tag)
		default:
			return placed, fmt.Errorf("inspect %s: %w", im.Tag, err)
		}
	}
	if len(present) > 0 {
		logf("has %s", strings.Join(present, ", "))
	}
	loaded, err := load(ctx, local, remote, logf, missing)
	if err != nil {
		return placed, err
	}
	if len(loaded.Tags) > 0 {
		logf("%s", loaded)
	}
	for _, im := range images {
		id, ok := loaded.IDs[im.Tag]
		if !ok {
			continue
		}
		placed = append(placed, Placed{Image: im.Tag, ID: id, Action: ActionLoaded})
		if id != im.ID {
			// The next push loads it again: the IDs will never agree.
			logf("%s has ID %s on this machine but %s on the node: the two engines store images differently (one uses the containerd image store)", im.Tag, ShortID(im.ID), ShortID(id))
		}
	}
	return placed, nil
}

// ShortID is an image ID as docker images shows it: 12 hex digits.
func ShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
