package swarm

import (
	"context"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// Nodes lists the swarm's nodes as a manager sees them.
func Nodes(ctx context.Context, manager client.APIClient) ([]swarm.Node, error) {
	return manager.NodeList(ctx, types.NodeListOptions{})
}

// LabelsMissing returns the declared labels that the node lacks or has with
// another value; empty means nothing to change.
func LabelsMissing(n swarm.Node, want map[string]string) map[string]string {
	missing := map[string]string{}
	for k, v := range want {
		if cur, ok := n.Spec.Labels[k]; !ok || cur != v {
			missing[k] = v
		}
	}
	return missing
}
