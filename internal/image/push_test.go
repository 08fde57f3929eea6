package image

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// fakeEngine holds images by tag. Its save stream is "tag=id" lines, which
// another fakeEngine's load reads back, so a test sees exactly what crossed
// the wire to each node.
type fakeEngine struct {
	client.ImageAPIClient // nil: a call the test did not expect panics
	mu                    sync.Mutex
	images                map[string]string // tag -> ID
	inspectErr            error
	loads                 [][]string // the tags of each load, in order
}

func engine(images map[string]string) *fakeEngine {
	if images == nil {
		images = map[string]string{}
	}
	return &fakeEngine{images: images}
}

func (f *fakeEngine) ImageInspect(_ context.Context, tag string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inspectErr != nil {
		return image.InspectResponse{}, f.inspectErr
	}
	id, ok := f.images[tag]
	if !ok {
		return image.InspectResponse{}, errdefs.NotFound(errors.New("No such image: " + tag))
	}
	return image.InspectResponse{ID: id}, nil
}

func (f *fakeEngine) ImageSave(_ context.Context, tags []string, _ ...client.ImageSaveOption) (io.ReadCloser, error) {
	var lines []string
	for _, t := range tags {
		lines = append(lines, t+"="+f.images[t])
	}
	return io.NopCloser(strings.NewReader(strings.Join(lines, "\n"))), nil
}

func (f *fakeEngine) ImageLoad(_ context.Context, r io.Reader, _ ...client.ImageLoadOption) (image.LoadResponse, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return image.LoadResponse{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var tags []string
	for _, line := range strings.Split(string(data), "\n") {
		tag, id, _ := strings.Cut(line, "=")
		f.images[tag] = id
		tags = append(tags, tag)
	}
	f.loads = append(f.loads, tags)
	return image.LoadResponse{Body: io.NopCloser(strings.NewReader(""))}, nil
}

func TestResolveLocalNamesEveryMissingImageAndTheFix(t *testing.T) {
	local := engine(map[string]string{"myapp:latest": "sha256:aaa", "db:17": "sha256:bbb"})
	got, err := ResolveLocal(context.Background(), local, "myapp", "db:17", "myapp:latest")
	if err != nil {
		t.Fatal(err)
	}
	want := []LocalImage{{Tag: "myapp:latest", ID: "sha256:aaa"}, {Tag: "db:17", ID: "sha256:bbb"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolved %v, want %v (untagged means :latest, each once)", got, want)
	}

	_, err = ResolveLocal(context.Background(), local, "myapp", "web:2", "cache:3")
	if err == nil {
		t.Fatal("missing images were not an error")
	}
	for _, want := range []string{"web:2", "cache:3", "docker build", "docker pull"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestResolveLocalRefusesWhatLoadCannotName(t *testing.T) {
	local := engine(nil)
	for _, name := range []string{
		"sha256:" + strings.Repeat("a", 64),
		"myapp@sha256:" + strings.Repeat("b", 64),
		"Not/Valid",
	} {
		if _, err := ResolveLocal(context.Background(), local, name); err == nil {
			t.Errorf("%s was accepted", name)
		}
	}
}

func TestPushLoadsOnlyWhatEachNodeLacksByID(t *testing.T) {
	local := engine(map[string]string{"myapp:1": "sha256:new", "db:17": "sha256:db"})
	nodes := map[string]*fakeEngine{
		"node1": engine(map[string]string{"myapp:1": "sha256:new", "db:17": "sha256:db"}),
		"node2": engine(nil),
		"node3": engine(map[string]string{"myapp:1": "sha256:old", "db:17": "sha256:db"}),
	}
	images := []LocalImage{{"myapp:1", "sha256:new"}, {"db:17", "sha256:db"}}
	placed, err := Push(context.Background(), local, images, apis(nodes), func(string, string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	want := []Placed{
		{"db:17", "sha256:db", "node1", ActionPresent},
		{"db:17", "sha256:db", "node2", ActionLoaded},
		{"db:17", "sha256:db", "node3", ActionPresent},
		{"myapp:1", "sha256:new", "node1", ActionPresent},
		{"myapp:1", "sha256:new", "node2", ActionLoaded},
		{"myapp:1", "sha256:new", "node3", ActionLoaded},
	}
	if !reflect.DeepEqual(placed, want) {
		t.Errorf("placed\n %v\nwant\n %v", placed, want)
	}
	wantLoads := map[string][][]string{
		"node1": nil,
		"node2": {{"myapp:1", "db:17"}}, // one stream for both
		"node3": {{"myapp:1"}},          // its old myapp:1 is replaced
	}
	for name, n := range nodes {
		if !reflect.DeepEqual(n.loads, wantLoads[name]) {
			t.Errorf("%s loaded %v, want %v", name, n.loads, wantLoads[name])
		}
	}
	if nodes["node3"].images["myapp:1"] != "sha256:new" {
		t.Error("node3 still has the old myapp:1")
	}
}

func TestPushReportsAFailingNodeAndServesTheOthers(t *testing.T) {
	local := engine(map[string]string{"myapp:1": "sha256:new"})
	broken := engine(nil)
	broken.inspectErr = errors.New("connection reset")
	nodes := map[string]*fakeEngine{"node1": engine(nil), "node2": broken}
	placed, err := Push(context.Background(), local, []LocalImage{{"myapp:1", "sha256:new"}}, apis(nodes), func(string, string, ...any) {})
	if err == nil || !strings.Contains(err.Error(), "node2") || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("error %v does not name node2 and its cause", err)
	}
	if want := []Placed{{"myapp:1", "sha256:new", "node1", ActionLoaded}}; !reflect.DeepEqual(placed, want) {
		t.Errorf("placed %v, want %v", placed, want)
	}
}

func TestShipSkipsATagTheHostHasUnderAnyID(t *testing.T) {
	local := engine(map[string]string{"skep-x:1": "sha256:a", "skep-y:1": "sha256:b"})
	remote := engine(map[string]string{"skep-x:1": "sha256:other"})
	loaded, err := Ship(context.Background(), local, remote, "skep-x:1", "skep-y:1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, []string{"skep-y:1"}) || !reflect.DeepEqual(remote.loads, [][]string{{"skep-y:1"}}) {
		t.Errorf("shipped %v (loads %v), want only skep-y:1", loaded, remote.loads)
	}
}

func apis(nodes map[string]*fakeEngine) map[string]client.ImageAPIClient {
	out := map[string]client.ImageAPIClient{}
	for name, n := range nodes {
		out[name] = n
	}
	return out
}
