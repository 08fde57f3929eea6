package stack

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// ImageInspector is what PinImages asks of a node's engine.
type ImageInspector interface {
	ImageInspect(ctx context.Context, image string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
}

// ImageNode is a node the swarm may place a stack's tasks on, with its
// engine.
type ImageNode struct {
	Name    string // the host's name in the cluster file, for messages
	Manager bool
	Engine  ImageInspector
}

// PinImages makes every service run the image its nodes already have, so
// no node needs a registry. It asks every node that could run a service
// (all at once) for the service's image, then pins ContainerSpec.Image:
//
//   - to name@digest when every node holding the image has it from one
//     registry digest (as docker stack deploy pins); a node that lacks it
//     pulls it by that digest;
//   - else to the image ID, when every node has it with that one ID.
//
// Why these two forms: when swarm's container executor prepares a task
// (moby's containerAdapter.pullImage), it skips the pull when the image is
// an ID (digest.Parse succeeds), and when it is a name@digest the engine
// already has; a tag is always pulled first, and without a registry that
// pull fails and logs an error on every task start (the task then runs the
// local image, or fails when there is none). The ID form also passes swarm's own check of the image
// (reference.ParseNormalizedNamed reads "sha256:<hex>" as a name and a
// tag). The deploy must not set ServiceCreateOptions.QueryRegistry for a
// pinned service: the client would ask a registry about the ID.
//
// The com.docker.stack.image label keeps the compose name, and PinImages
// reads the name from it, so pinning a pinned stack again gives the same
// result. A node lacking an image that has no registry digest, or nodes
// holding different images under one name, is an error naming the
// service, the image, the nodes and the fix; nothing is changed then.
func PinImages(ctx context.Context, st *Stack, nodes []ImageNode) error {
	var names []string
	for _, svc := range st.Services {
		if svc.TaskTemplate.ContainerSpec != nil {
			names = append(names, composeImage(svc))
		}
	}
	facts, err := inspectImages(ctx, uniq(names), nodes)
	if err != nil {
		return err
	}
	pins := make([]string, len(st.Services))
	var problems []error
	for i, svc := range st.Services {
		if svc.TaskTemplate.ContainerSpec == nil {
			continue
		}
		name := composeImage(svc)
		pin, err := pinFor(name, facts[name], eligible(svc, nodes))
		if err != nil {
			problems = append(problems, fmt.Errorf("service %s: %w", svc.Name, err))
		}
		pins[i] = pin
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	for i := range st.Services {
		svc := &st.Services[i]
		if svc.TaskTemplate.ContainerSpec == nil {
			continue
		}
		if svc.Labels == nil {
			svc.Labels = map[string]string{}
		}
		svc.Labels[LabelImage] = composeImage(*svc)
		svc.TaskTemplate.ContainerSpec.Image = pins[i]
	}
	return nil
}

// composeImage is the image as the compose file names it.
func composeImage(svc swarm.ServiceSpec) string {
	if name := svc.Labels[LabelImage]; name != "" {
		return name
	}
	return svc.TaskTemplate.ContainerSpec.Image
}

// imageFact is what one node has under an image name.
type imageFact struct {
	present bool
	id      string
	digests []string // RepoDigests, "name@sha256:..."
}

// inspectImages asks every node for every image, all at once: facts[image][node].
// A node that does not answer is an error: what it holds is unknown.
func inspectImages(ctx context.Context, names []string, nodes []ImageNode) (map[string]map[string]imageFact, error) {
	facts := map[string]map[string]imageFact{}
	for _, name := range names {
		facts[name] = map[string]imageFact{}
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, n := range nodes {
		for _, name := range names {
			wg.Go(func() {
				got, err := n.Engine.ImageInspect(ctx, name)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					facts[name][n.Name] = imageFact{present: true, id: got.ID, digests: got.RepoDigests}
				case errdefs.IsNotFound(err):
					facts[name][n.Name] = imageFact{}
				default:
					errs = append(errs, fmt.Errorf("%s: inspect image %s: %w", n.Name, name, err))
				}
			})
		}
	}
	wg.Wait()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return facts, errors.Join(errs...)
}

// pinFor decides the image a service runs, from what the nodes that could
// run it hold.
func pinFor(name string, facts map[string]imageFact, nodes []string) (string, error) {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", name, err)
	}
	if _, ok := ref.(reference.Digested); ok || len(nodes) == 0 {
		// Pinned by the file, or no node to check (swarm keeps the task pending).
		return name, nil
	}
	var lacking []string
	byID := map[string][]string{}
	var holders []imageFact
	for _, n := range nodes {
		f := facts[n]
		if !f.present {
			lacking = append(lacking, n)
			continue
		}
		holders = append(holders, f)
		byID[f.id] = append(byID[f.id], n)
	}
	if c := commonDigest(ref, holders); c != nil {
		pinned, err := reference.WithDigest(ref, c.Digest())
		if err != nil {
			return "", fmt.Errorf("image %s: %w", name, err)
		}
		return reference.FamiliarString(pinned), nil
	}
	fix := "run skep image push " + name
	if len(lacking) > 0 {
		return "", fmt.Errorf("image %s is not on %s, and no node has it from a registry to pull it by digest; %s",
			name, strings.Join(lacking, ", "), fix)
	}
	if len(byID) > 1 {
		var have []string
		for id, ns := range byID {
			have = append(have, fmt.Sprintf("%s on %s", shortID(id), strings.Join(ns, ", ")))
		}
		sort.Strings(have)
		return "", fmt.Errorf("image %s differs between nodes (%s); %s to give every node this machine's", name, strings.Join(have, "; "), fix)
	}
	return holders[0].id, nil
}
