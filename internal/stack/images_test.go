package stack

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// fakeImages is a node's engine: what it holds under each name.
type fakeImages struct {
	images map[string]image.InspectResponse
	err    error
}

func (f fakeImages) ImageInspect(_ context.Context, name string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	if f.err != nil {
		return image.InspectResponse{}, f.err
	}
	if im, ok := f.images[name]; ok {
		return im, nil
	}
	return image.InspectResponse{}, errdefs.NotFound(errors.New("No such image: " + name))
}

var (
	idA    = "sha256:" + strings.Repeat("a", 64)
	idB    = "sha256:" + strings.Repeat("b", 64)
	digest = "sha256:" + strings.Repeat("d", 64)
)

func holds(name, id string, repoDigests ...string) fakeImages {
	return fakeImages{images: map[string]image.InspectResponse{name: {ID: id, RepoDigests: repoDigests}}}
}

func node(name string, manager bool, engine ImageInspector) ImageNode {
	return ImageNode{Name: name, Manager: manager, Engine: engine}
}

func imageSvc(name, img string, constraints ...string) swarm.ServiceSpec {
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: "app_" + name, Labels: map[string]string{LabelNamespace: "app", LabelImage: img}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: img},
			Placement:     &swarm.Placement{Constraints: constraints},
		},
	}
}

func images(st *Stack) []string {
	var out []string
	for _, s := range st.Services {
		out = append(out, s.TaskTemplate.ContainerSpec.Image+" ("+s.Labels[LabelImage]+")")
	}
	return out
}

func TestPinImages(t *testing.T) {
	for _, tc := range []struct {
		name  string
		svcs  []swarm.ServiceSpec
		nodes []ImageNode
		want  []string
	}{{
		name:  "the same ID on every node: the ID, which swarm never pulls",
		svcs:  []swarm.ServiceSpec{imageSvc("web", "myapp:1")},
		nodes: []ImageNode{node("node1", true, holds("myapp:1", idA)), node("node2", false, holds("myapp:1", idA))},
		want:  []string{idA + " (myapp:1)"},
	}, {
		name: "one registry digest on every holder: name@digest, a lacking node pulls it",
		svcs: []swarm.ServiceSpec{imageSvc("web", "nginx:1.27")},
		nodes: []ImageNode{node("node1", true, holds("nginx:1.27", idA, "nginx@"+digest)),
			node("node2", true, holds("nginx:1.27", idB, "nginx@"+digest)), // another platform of the same index
			node("node3", false, fakeImages{})},
		want: []string{"nginx:1.27@" + digest + " (nginx:1.27)"},
	}, {
		name: "a digest only some holders have: the ID they share",
		svcs: []swarm.ServiceSpec{imageSvc("web", "nginx:1.27")},
		nodes: []ImageNode{node("node1", true, holds("nginx:1.27", idA, "nginx@"+digest)),
			node("node2", true, holds("nginx:1.27", idA))}, // loaded: docker load keeps no digest
		want: []string{idA + " (nginx:1.27)"},
	}, {
		name: "a digest of another repository does not count",
		svcs: []swarm.ServiceSpec{imageSvc("web", "myapp:1")},
		nodes: []ImageNode{node("node1", true, holds("myapp:1", idA, "other@"+digest)),
			node("node2", true, holds("myapp:1", idA, "other@"+digest))},
		want: []string{idA + " (myapp:1)"},
	}, {
		name: "a manager-only service is not checked on workers",
		svcs: []swarm.ServiceSpec{imageSvc("admin", "myapp:1", "node.role == manager")},
		nodes: []ImageNode{node("node1", true, holds("myapp:1", idA)),
			node("node4", false, fakeImages{})},
		want: []string{idA + " (myapp:1)"},
	}, {
		name:  "pinned by the file: left as written",
		svcs:  []swarm.ServiceSpec{imageSvc("web", "nginx@"+digest)},
		nodes: []ImageNode{node("node1", true, fakeImages{})},
		want:  []string{"nginx@" + digest + " (nginx@" + digest + ")"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			st := &Stack{Name: "app", Services: tc.svcs}
			if err := PinImages(context.Background(), st, tc.nodes); err != nil {
				t.Fatal(err)
			}
			if got := images(st); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("images %q, want %q", got, tc.want)
			}
			for _, s := range st.Services {
				// swarm refuses a service whose image does not parse so.
				if _, err := reference.ParseNormalizedNamed(s.TaskTemplate.ContainerSpec.Image); err != nil {
					t.Errorf("swarm would refuse %s: %v", s.TaskTemplate.ContainerSpec.Image, err)
				}
			}
			again := images(st)
			if err := PinImages(context.Background(), st, tc.nodes); err != nil || !reflect.DeepEqual(images(st), again) {
				t.Errorf("pinning again gave %q (%v), want %q", images(st), err, again)
			}
		})
	}
}

func TestPinImagesRefusesWhatSwarmCouldNotRunAndChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes []ImageNode
		want  []string
	}{{
		name: "missing on some nodes, no digest",
		nodes: []ImageNode{node("node1", true, holds("myapp:1", idA)),
			node("node2", true, fakeImages{}), node("node3", false, fakeImages{})},
		want: []string{"service app_web", "myapp:1", "node2, node3", "skep image push myapp:1"},
	}, {
		name:  "different images under one name",
		nodes: []ImageNode{node("node1", true, holds("myapp:1", idA)), node("node2", true, holds("myapp:1", idB))},
		want:  []string{"service app_web", "aaaaaaaaaaaa on node1", "bbbbbbbbbbbb on node2", "skep image push myapp:1"},
	}, {
		name:  "a node that does not answer",
		nodes: []ImageNode{node("node1", true, holds("myapp:1", idA)), node("node2", true, fakeImages{err: errors.New("EOF")})},
		want:  []string{"node2", "myapp:1", "EOF"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			st := &Stack{Name: "app", Services: []swarm.ServiceSpec{imageSvc("db", "postgres:17"), imageSvc("web", "myapp:1")}}
			for _, n := range tc.nodes {
				if f, ok := n.Engine.(fakeImages); ok && f.images != nil {
					f.images["postgres:17"] = image.InspectResponse{ID: idB}
				}
			}
			err := PinImages(context.Background(), st, tc.nodes)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if got, want := images(st), []string{"postgres:17 (postgres:17)", "myapp:1 (myapp:1)"}; !reflect.DeepEqual(got, want) {
				t.Errorf("images changed to %q on error", got)
			}
		})
	}
}

func TestPlaceableNodes(t *testing.T) {
	n := func(id string, role swarm.NodeRole, state swarm.NodeState, avail swarm.NodeAvailability) swarm.Node {
		return swarm.Node{ID: id, Spec: swarm.NodeSpec{Role: role, Availability: avail},
			Status: swarm.NodeStatus{State: state}, Description: swarm.NodeDescription{Hostname: id + ".lab"}}
	}
	list := []swarm.Node{
		n("id1", swarm.NodeRoleManager, swarm.NodeStateReady, swarm.NodeAvailabilityActive),
		n("id2", swarm.NodeRoleManager, swarm.NodeStateDown, swarm.NodeAvailabilityActive),
		n("id3", swarm.NodeRoleWorker, swarm.NodeStateReady, swarm.NodeAvailabilityDrain),
		n("id4", swarm.NodeRoleWorker, swarm.NodeStateReady, swarm.NodeAvailabilityActive),
	}
	engines := map[string]ImageNode{"id1": {Name: "node1", Engine: fakeImages{}}, "id4": {Name: "node4", Engine: fakeImages{}}}
	got, err := PlaceableNodes(list, engines)
	if err != nil {
		t.Fatal(err)
	}
	want := []ImageNode{{Name: "node1", Manager: true, Engine: fakeImages{}}, {Name: "node4", Engine: fakeImages{}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("placeable %+v, want %+v (down and drained nodes left out)", got, want)
	}
	delete(engines, "id4")
	if _, err := PlaceableNodes(list, engines); err == nil || !strings.Contains(err.Error(), "id4.lab") {
		t.Errorf("a placeable node without an engine: %v", err)
	}
}
