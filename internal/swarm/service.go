package swarm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// SpecHashLabel carries the hash of the spec skep rendered for a service.
// The engine fills in defaults and IDs, so comparing specs field by field
// would see changes that are not there; the hash of what skep asked for
// says exactly whether the declared service changed.
const SpecHashLabel = "skep.spec-hash"

// SpecHash is the hash of spec as rendered (before any ID is filled in).
func SpecHash(spec swarm.ServiceSpec) string {
	data, _ := json.Marshal(spec)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16]
}

// WithHash returns spec labelled with its own hash.
func WithHash(spec swarm.ServiceSpec) swarm.ServiceSpec {
	h := SpecHash(spec)
	labels := map[string]string{SpecHashLabel: h}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	spec.Labels = labels
	return spec
}

// Change is what ConvergeService did.
type Change int

const (
	Unchanged Change = iota // the swarm ran the declared spec already
	Created
	Updated
)

// ConvergeService makes the swarm run spec, labelled by WithHash: it
// creates the service when it is missing, updates it only when the
// swarm's copy carries another hash (with the version index just read, so
// a concurrent change is refused by the engine rather than overwritten),
// and otherwise leaves it alone. Every component that runs swarm services
// (ingress, the controller, app stacks) converges them through here.
func ConvergeService(ctx context.Context, mgr client.APIClient, spec swarm.ServiceSpec) (Change, error) {
	hash := spec.Labels[SpecHashLabel]
	if hash == "" {
		return Unchanged, fmt.Errorf("service %s: spec has no %s label (use WithHash)", spec.Name, SpecHashLabel)
	}
	svc, _, err := mgr.ServiceInspectWithRaw(ctx, spec.Name, swarm.ServiceInspectOptions{})
	switch {
	case client.IsErrNotFound(err):
		if _, err := mgr.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{}); err != nil {
			return Unchanged, fmt.Errorf("create service %s: %w", spec.Name, err)
		}
		return Created, nil
	case err != nil:
		return Unchanged, fmt.Errorf("inspect service %s: %w", spec.Name, err)
	case svc.Spec.Labels[SpecHashLabel] == hash:
		return Unchanged, nil
	}
	if _, err := mgr.ServiceUpdate(ctx, svc.ID, svc.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
		return Unchanged, fmt.Errorf("update service %s: %w", spec.Name, err)
	}
	return Updated, nil
}
