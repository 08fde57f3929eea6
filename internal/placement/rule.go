package placement

import (
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/swarm"
)

// Verdict is what KeepOffLeader did with a service, and why.
type Verdict int

const (
	// Added: a single replica, now constrained off the leader.
	Added Verdict = iota
	// NotSingleton: global, a job, or more than one replica. A leader's
	// death costs such a service one of several tasks, and keeping it off
	// a node would only narrow where its tasks can spread.
	NotSingleton
	// OptedOut: its deploy labels set OptOutLabel to OptOutAllow.
	OptedOut
	// Pinned: a constraint of its own (node.id or node.hostname equal to
	// one value) names the one node it may run on; avoiding the leader
	// could leave it nowhere to run while that node leads.
	Pinned
	// Already: it carries AvoidLeader already.
	Already
)

// KeepOffLeader appends AvoidLeader to the placement constraints of a
// single-replica service (replicated, with 1 replica or none given, which
// swarm takes as 1), unless labels, the service's deploy labels, opt out.
// Its own constraints are kept, in their order, before AvoidLeader. An
// OptOutLabel with another value than OptOutAllow is an error: a typo
// must not silently keep the service on the leader or off it.
func KeepOffLeader(spec *swarm.ServiceSpec, labels map[string]string) (Verdict, error) {
	if v, ok := labels[OptOutLabel]; ok && v != OptOutAllow {
		return NotSingleton, fmt.Errorf("deploy.labels.%s: %q is not a value skep knows; set it to %q to let the service run on the swarm leader, or remove it",
			OptOutLabel, v, OptOutAllow)
	}
	r := spec.Mode.Replicated
	if r == nil || (r.Replicas != nil && *r.Replicas != 1) {
		return NotSingleton, nil
	}
	if labels[OptOutLabel] == OptOutAllow {
		return OptedOut, nil
	}
	p := spec.TaskTemplate.Placement
	if p == nil {
		p = &swarm.Placement{}
		spec.TaskTemplate.Placement = p
	}
	for _, c := range p.Constraints {
		switch n := normalize(c); {
		case n == normalize(AvoidLeader):
			return Already, nil
		case strings.HasPrefix(n, "node.id=="), strings.HasPrefix(n, "node.hostname=="):
			return Pinned, nil
		}
	}
	// A new slice: the constraints may be the compose project's own.
	p.Constraints = append(append([]string(nil), p.Constraints...), AvoidLeader)
	return Added, nil
}

// normalize is a constraint in one spelling, to compare it with others:
// without spaces (swarm trims them), the key in lower case (swarm matches
// node.id, node.hostname and the node.labels prefix in any case).
func normalize(c string) string {
	key, value, found := strings.Cut(strings.Join(strings.Fields(c), ""), "==")
	op := "=="
	if !found {
		key, value, found = strings.Cut(key, "!=")
		op = "!="
		if !found {
			return strings.ToLower(key)
		}
	}
	return strings.ToLower(key) + op + value
}
