package swarm

import (
	"context"
	"testing"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// fakeManager holds at most one service and records what was asked.
type fakeManager struct {
	client.APIClient // not called: only the methods below are
	svc              *swarm.Service
	created, updated int
	updateVersion    uint64
}

func (f *fakeManager) ServiceInspectWithRaw(_ context.Context, name string, _ swarm.ServiceInspectOptions) (swarm.Service, []byte, error) {
	if f.svc == nil || f.svc.Spec.Name != name {
		return swarm.Service{}, nil, errdefs.NotFound(context.Canceled)
	}
	return *f.svc, nil, nil
}

func (f *fakeManager) ServiceCreate(_ context.Context, spec swarm.ServiceSpec, _ swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error) {
	f.created++
	f.svc = &swarm.Service{ID: "id1", Spec: spec, Meta: swarm.Meta{Version: swarm.Version{Index: 7}}}
	return swarm.ServiceCreateResponse{ID: "id1"}, nil
}

func (f *fakeManager) ServiceUpdate(_ context.Context, id string, v swarm.Version, spec swarm.ServiceSpec, _ swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error) {
	f.updated++
	f.updateVersion = v.Index
	f.svc.Spec = spec
	return swarm.ServiceUpdateResponse{}, nil
}

func TestConvergeService(t *testing.T) {
	ctx := context.Background()
	f := &fakeManager{}
	spec := func(image string) swarm.ServiceSpec {
		return WithHash(swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "web"},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: image}}})
	}
	steps := []struct {
		spec swarm.ServiceSpec
		want Change
	}{{spec("a"), Created}, {spec("a"), Unchanged}, {spec("b"), Updated}, {spec("b"), Unchanged}}
	for i, s := range steps {
		got, err := ConvergeService(ctx, f, s.spec)
		if err != nil || got != s.want {
			t.Fatalf("step %d: %v, %v; want %v", i, got, err, s.want)
		}
	}
	if f.created != 1 || f.updated != 1 || f.updateVersion != 7 {
		t.Fatalf("created %d, updated %d at version %d; want 1, 1 at the inspected version 7", f.created, f.updated, f.updateVersion)
	}
	if _, err := ConvergeService(ctx, f, swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "web"}}); err == nil {
		t.Fatal("a spec without its hash label was accepted")
	}
}
