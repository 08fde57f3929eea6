package stackdeploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/ingress"
	"skep/internal/stack"
	skswarm "skep/internal/swarm"
)

// cluster is what a deploy needs of the cluster: every host that answered
// with its engine (PinImages asks each node for its images), and the
// manager the deploy goes through.
type cluster struct {
	hosts map[string]*host.Host
	// engines are the hosts in the swarm, by swarm node ID.
	engines map[string]stack.ImageNode
	mgrHost *host.Host
	mgr     client.APIClient
	// unreached says, per host, why it did not answer; a host that is down
	// stops the deploy only if the swarm could place tasks on it.
	unreached []error
}

// NoManagerError is a cluster none of whose managers answered as one:
// there is nothing to deploy through.
type NoManagerError struct {
	Cluster string
	Err     error
}

func (e *NoManagerError) Error() string {
	return fmt.Sprintf("no manager of cluster %s answered as a manager of the swarm: %v", e.Cluster, e.Err)
}

func (e *NoManagerError) Unwrap() error { return e.Err }

// reach dials every host and asks each engine its swarm node ID, all at
// once. The manager is the first declared manager that answers as one.
func reach(ctx context.Context, c *config.Cluster) (*cluster, error) {
	hosts, dialErr := host.DialAll(ctx, host.Targets(c, false, DialTimeout))
	sc := &cluster{hosts: hosts, engines: map[string]stack.ImageNode{}}
	if dialErr != nil {
		sc.unreached = append(sc.unreached, dialErr)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, h := range hosts {
		wg.Go(func() {
			// A frozen engine must not hold the deploy: it is as good as
			// down. The client stays usable past this context.
			askCtx, cancel := context.WithTimeout(ctx, DialTimeout)
			defer cancel()
			cli, err := h.Docker(askCtx)
			var st skswarm.State
			if err == nil {
				if st, err = skswarm.Inspect(askCtx, cli); err != nil {
					err = fmt.Errorf("%s: %w", name, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				sc.unreached = append(sc.unreached, err)
				return
			case !st.InSwarm():
				return
			}
			sc.engines[st.NodeID] = stack.ImageNode{Name: name, Engine: cli}
			decl, _ := c.HostByName(name)
			if sc.mgr == nil && st.Manager && decl.Role != config.RoleWorker {
				sc.mgrHost, sc.mgr = h, cli
			}
		})
	}
	wg.Wait()
	if sc.mgr == nil {
		sc.close()
		return nil, &NoManagerError{Cluster: c.Name, Err: errors.Join(sc.unreached...)}
	}
	return sc, nil
}

func (sc *cluster) close() {
	for _, h := range sc.hosts {
		h.Close()
	}
}

// ipvs asks the manager whether its kernel has IPVS, as apply's facts do.
// One manager speaks for all: the nodes of a cluster share a kernel build
// as a rule, and where they do not, the one asked runs the routing mesh.
func (sc *cluster) ipvs(ctx context.Context) (bool, error) {
	out, err := sc.mgrHost.Sudo(ctx, "if "+apply.IPVSTest+"; then echo yes; else echo no; fi")
	if err != nil {
		return false, fmt.Errorf("%s: asking whether the kernel has IPVS: %w", sc.mgrHost.Name(), err)
	}
	return strings.TrimSpace(out) == "yes", nil
}

// makeDirs creates dirs on the shared storage, which is mounted at the
// same path on every node, so one manager creating them is enough.
func (sc *cluster) makeDirs(ctx context.Context, dirs []string) error {
	if len(dirs) == 0 {
		return nil
	}
	if _, err := sc.mgrHost.Sudo(ctx, MkdirCommand(dirs)); err != nil {
		return fmt.Errorf("%s: creating the stack's directories on the shared storage: %w", sc.mgrHost.Name(), err)
	}
	return nil
}

// MkdirCommand creates every directory of dirs, each quoted as one word.
func MkdirCommand(dirs []string) string {
	quoted := make([]string, len(dirs))
	for i, d := range dirs {
		quoted[i] = host.ShellQuote(d)
	}
	return "mkdir -p -- " + strings.Join(quoted, " ")
}

// placeable is every node the swarm may place tasks on, with its engine.
// A placeable node that skep could not reach is reported with the reason
// it was not reached, not merely as unknown.
func (sc *cluster) placeable(ctx context.Context) ([]stack.ImageNode, error) {
	nodes, err := skswarm.Nodes(ctx, sc.mgr)
	if err != nil {
		return nil, fmt.Errorf("%s: listing the swarm's nodes: %w", sc.mgrHost.Name(), err)
	}
	out, err := stack.PlaceableNodes(nodes, sc.engines)
	if err != nil && len(sc.unreached) > 0 {
		return nil, fmt.Errorf("%w (unless it is a host skep could not reach: %w)", err, errors.Join(sc.unreached...))
	}
	return out, err
}

// convertOptions fits the conversion to the cluster: its shared storage
// (none without a storage section) and its ingress network.
func convertOptions(c *config.Cluster, name string, ipvs bool) stack.ConvertOptions {
	delay := c.Tuning.Restart()
	opts := stack.ConvertOptions{Name: name, IPVS: ipvs, RestartDelay: &delay}
	if c.Storage != nil {
		opts.StorageMount = c.Storage.Mount
	}
	if c.Ingress != nil {
		opts.PublicNetwork = ingress.PublicNetwork
	}
	return opts
}
