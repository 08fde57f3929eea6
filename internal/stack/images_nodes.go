package stack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/swarm"
)

// PlaceableNodes returns the swarm's nodes that tasks can be placed on
// (ready, availability active), in list order, as PinImages wants them.
// engines gives, by swarm node ID, each host's name and engine; Manager is
// taken from the swarm. A placeable node without an engine is an error:
// its images cannot be checked.
func PlaceableNodes(list []swarm.Node, engines map[string]ImageNode) ([]ImageNode, error) {
	var out []ImageNode
	for _, n := range list {
		if n.Status.State != swarm.NodeStateReady || n.Spec.Availability != swarm.NodeAvailabilityActive {
			continue
		}
		e, ok := engines[n.ID]
		if !ok || e.Engine == nil {
			return nil, fmt.Errorf("swarm node %s (%s) is not a host of the cluster file, so its images cannot be checked; add it to the file, or drain it (docker node update --availability drain %s)",
				n.Description.Hostname, n.ID, n.ID)
		}
		e.Manager = n.Spec.Role == swarm.NodeRoleManager
		out = append(out, e)
	}
	return out, nil
}

// eligible names the nodes that could run svc: all of them, or only
// managers or only workers when a node.role constraint says so (other
// constraints are not read: checking more nodes than needed is safe).
// That includes the leader's label (placement.AvoidLeader): it moves with
// the leader, so every node may run such a service some day and must hold
// its image.
func eligible(svc swarm.ServiceSpec, nodes []ImageNode) []string {
	managers, workers := true, true
	if p := svc.TaskTemplate.Placement; p != nil {
		for _, c := range p.Constraints {
			switch strings.ToLower(strings.Join(strings.Fields(c), "")) {
			case "node.role==manager", "node.role!=worker":
				workers = false
			case "node.role==worker", "node.role!=manager":
				managers = false
			}
		}
	}
	var out []string
	for _, n := range nodes {
		if (n.Manager && managers) || (!n.Manager && workers) {
			out = append(out, n.Name)
		}
	}
	return out
}

// commonDigest is the registry digest, of the image's own repository,
// that every holder has; nil when there is none (an image built or loaded
// has no RepoDigests). Of several, the smallest, so the result is stable.
func commonDigest(ref reference.Named, holders []imageFact) reference.Canonical {
	if len(holders) == 0 {
		return nil
	}
	count := map[string]int{}
	byDigest := map[string]reference.Canonical{}
	for _, f := range holders {
		seen := map[string]bool{}
		for _, rd := range f.digests {
			r, err := reference.ParseNormalizedNamed(rd)
			if err != nil {
				continue
			}
			c, ok := r.(reference.Canonical)
			if !ok || c.Name() != ref.Name() || seen[c.Digest().String()] {
				continue
			}
			seen[c.Digest().String()] = true
			count[c.Digest().String()]++
			byDigest[c.Digest().String()] = c
		}
	}
	var common []string
	for d, n := range count {
		if n == len(holders) {
			common = append(common, d)
		}
	}
	if len(common) == 0 {
		return nil
	}
	sort.Strings(common)
	return byDigest[common[0]]
}

// shortID is an image ID as docker images shows it: 12 hex digits.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// uniq is names sorted, each once.
func uniq(names []string) []string {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return keys(set)
}
