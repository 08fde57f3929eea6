package ingress

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/docker/docker/api/types/swarm"
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
