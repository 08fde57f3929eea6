// Package lab runs a skep cloud on one Docker engine: each node is a
// machine-like container (systemd, sshd, its own Docker engine) on a network
// of the lab's own. The lab only provides machines and writes an ordinary
// cluster file; apply then treats the nodes exactly like real hosts.
package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"skep/internal/config"
	"skep/internal/host"
	skimage "skep/internal/image"
	"skep/internal/ingress"
	"skep/internal/poll"
)

// UpOptions says which lab to create or complete.
type UpOptions struct {
	Name  string
	Nodes int
	// StorageMount is the cluster file's storage.mount; "" keeps what the
	// lab has (the default for a new lab).
	StorageMount string
	Logf         func(string, ...any)
	// WarmImages also builds, beside the lab's own images, the Traefik the
	// lab's cluster file runs from source, so its long compile overlaps the
	// nodes' start instead of following it; set it when apply comes next.
	WarmImages bool
}

// Up makes sure the lab exists with its nodes running and reachable over
// SSH, and returns it. It is safe to run again on an existing lab.
func Up(ctx context.Context, cli *client.Client, opts UpOptions) (*Lab, error) {
	if err := ValidName(opts.Name); err != nil {
		return nil, err
	}
	if opts.Nodes < 1 || opts.Nodes > 9 {
		return nil, fmt.Errorf("--nodes %d: a lab has 1 to 9 nodes", opts.Nodes)
	}
	l, err := Load(opts.Name)
	if err != nil {
		l = &Lab{Name: opts.Name, StateDir: stateDir(opts.Name), Network: opts.Name + "-net"}
	}
	if opts.Nodes < l.Nodes {
		return nil, fmt.Errorf("lab %s has %d nodes; removing nodes from a lab is not supported, run skep lab down first", l.Name, l.Nodes)
	}
	l.Nodes = opts.Nodes
	if opts.StorageMount != "" {
		if p := opts.StorageMount; !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
			return nil, fmt.Errorf("--storage-mount %q: give a clean absolute path such as %s", p, config.DefaultStorageMount)
		}
		l.StorageMount = opts.StorageMount
	}
	l.ClusterFile = filepath.Join(l.StateDir, "cluster.yaml")
	if err := os.MkdirAll(l.StateDir, 0o700); err != nil {
		return nil, err
	}

	// Every image the lab needs is built at once (the compiles one after
	// the other, beside the Debian builds); each step waits only for its own.
	buildCtx, stopBuilds := context.WithCancel(ctx)
	defer stopBuilds()
	builds := skimage.NewBuilds(cli, opts.Logf)
	builds.Start(buildCtx, nodeImage, challtestsrvImage, pebbleImage)
	if opts.WarmImages {
		builds.Start(buildCtx, ingress.TraefikRecipe())
	}
	l, err = up(ctx, cli, l, opts, builds)
	if err != nil {
		// Stop the builds still running and name every one that failed,
		// not only the one a step waited on.
		stopBuilds()
		buildErr := builds.WaitAll(ctx)
		if errors.As(err, new(buildFailed)) {
			return nil, buildErr
		}
		return nil, errors.Join(err, buildErr)
	}
	return l, builds.WaitAll(ctx)
}

// buildFailed marks an error of up that is a build's, which WaitAll
// reports again.
type buildFailed struct{ error }

func (b buildFailed) Unwrap() error { return b.error }

// nodeImage is the recipe of the lab's machines.
var nodeImage = skimage.Dockerfile("node")

// up is Up once its images are under way.
func up(ctx context.Context, cli *client.Client, l *Lab, opts UpOptions, builds *skimage.Builds) (*Lab, error) {
	images, err := builds.Wait(ctx, nodeImage)
	if err != nil {
		return nil, buildFailed{err}
	}
	image := images[0]
	if err := ensureNetwork(ctx, cli, l); err != nil {
		return nil, err
	}
	l.VIP = vipIP(l.Subnet)
	login, err := ensureClientKey(l.keyFile())
	if err != nil {
		return nil, err
	}
	var known strings.Builder
	for i := 1; i <= l.Nodes; i++ {
		opts.Logf("%s: starting container %s at %s", NodeName(i), ContainerName(l.Name, NodeName(i)), nodeIP(l.Subnet, i))
		key, err := ensureNode(ctx, cli, l, image, i, login)
		if err != nil {
			return nil, err
		}
		known.WriteString(knownHostsLine(nodeIP(l.Subnet, i), key))
	}
	if err := os.WriteFile(l.knownHostsFile(), []byte(known.String()), 0o600); err != nil {
		return nil, err
	}
	if err := ensureACME(ctx, cli, l, builds, opts.Logf); err != nil {
		return nil, err
	}
	if err := l.writeClusterFile(); err != nil {
		return nil, err
	}
	if err := l.save(); err != nil {
		return nil, err
	}
	return l, l.waitSSH(ctx, opts.Logf)
}

// Cluster is the lab as an ordinary cluster file: the first three nodes are
// managers (or all of them in a smaller lab), the rest workers.
func (l *Lab) Cluster() *config.Cluster {
	c := &config.Cluster{
		Name: l.Name,
		SSH:  config.SSH{User: "root", Port: 22, KeyFile: l.keyFile(), KnownHosts: l.knownHostsFile()},
	}
	c.Swarm.AllowUnsafeManagers = l.Nodes < 3
	if l.Nodes >= config.StorageReplica {
		// Shared storage needs three brick hosts; written out in full so a
		// lab user sees what to edit.
		c.Storage = &config.Storage{Volume: config.DefaultStorageVolume, Brick: config.DefaultStorageBrick,
			Mount: config.DefaultStorageMount, SystemMount: config.DefaultSystemMount, Replica: config.StorageReplica}
		if l.StorageMount != "" {
			c.Storage.Mount = l.StorageMount
		}
	}
	if l.Subnet != "" {
		// The VIP is the lab network's reserved .250, reachable from this machine.
		c.VIP = &config.VIP{Address: vipIP(l.Subnet), AdvertInterval: config.DefaultVIPAdvertInterval, RouterID: config.DefaultVIPRouterID}
	}
	// Traefik is built from source and shipped: lab nodes cannot pull.
	c.Ingress = &config.Ingress{}
	if l.CAFile != "" && c.Storage != nil {
		// The lab's own CA (acme.go); certificates need storage that
		// survives a node, so a lab too small for it has none.
		c.ACME = l.acmeSection()
	}
	for i := 1; i <= l.Nodes; i++ {
		role := "manager"
		if i > 3 {
			role = "worker"
		}
		c.Hosts = append(c.Hosts, config.Host{Name: NodeName(i), Address: nodeIP(l.Subnet, i), Role: role})
	}
	return c
}

func (l *Lab) writeClusterFile() error {
	data, err := config.Write(l.Cluster())
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# Cluster file of lab %q, written by skep lab up.\n# Its nodes are containers %s-node1..%d on network %s (%s).\n", l.Name, l.Name, l.Nodes, l.Network, l.Subnet)
	return os.WriteFile(l.ClusterFile, append([]byte(header), data...), 0o600)
}

// waitSSH waits until every node's sshd answers with the key we gave it.
func (l *Lab) waitSSH(ctx context.Context, logf func(string, ...any)) error {
	c := l.Cluster()
	c.ApplyDefaults()
	// 90 s for all of them, dialled in turn: a node is left once it answers.
	pending := host.Targets(c, false, 3*time.Second)
	err := poll.Until(ctx, "sshd up on every node", 300*time.Millisecond, 90*time.Second, func(ctx context.Context) error {
		for len(pending) > 0 {
			t := pending[0]
			h, err := host.Dial(ctx, t)
			if err != nil {
				return fmt.Errorf("%s: %w (look inside with: docker logs %s)", t.Name, err, ContainerName(l.Name, t.Name))
			}
			h.Close()
			pending = pending[1:]
		}
		return nil
	})
	if err != nil {
		return err
	}
	logf("all %d nodes answer over SSH", l.Nodes)
	return nil
}
