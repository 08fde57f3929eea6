package placement

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"

	"skep/internal/poll"
)

// Timing of the agent's loop.
const (
	// Interval between two looks at the engine: a new leader labels
	// itself within about half a second of a node being fit to take its
	// singletons.
	Interval = 500 * time.Millisecond
	// readTimeout bounds one read. Asked while the swarm has no leader, a
	// manager's engine may hold a node request until one exists: the
	// look is then simply skipped.
	readTimeout = 2 * time.Second
	// writeTimeout bounds one node update, which the engine also holds
	// while there is no leader.
	writeTimeout = 5 * time.Second
)

// Engine is the part of the Docker API the agent uses: its own
// manager's engine.
type Engine interface {
	Info(ctx context.Context) (system.Info, error)
	NodeInspectWithRaw(ctx context.Context, nodeID string) (swarm.Node, []byte, error)
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
	NodeUpdate(ctx context.Context, nodeID string, version swarm.Version, node swarm.NodeSpec) error
}

// Agent keeps the leader label on the leader, as seen from one manager.
// Every manager runs one; only the leader's writes, so two agents never
// update a node at the same time.
type Agent struct {
	eng  Engine
	now  func() time.Time
	logf func(string, ...any)

	looked  bool      // a look has told whether this node leads
	leading bool      // it led at the last look
	since   time.Time // when it was first seen leading
	elected bool      // it was seen becoming leader
	said    string    // the last state logged, said once
}

// NewAgent is an agent on eng, logging through logf.
func NewAgent(eng Engine, logf func(string, ...any)) *Agent {
	return &Agent{eng: eng, now: time.Now, logf: logf}
}

// Run looks every Interval until ctx ends. A failed look is logged (each
// new error once) and the next one tries again: the agent never exits on
// its own, since swarm would only start it again.
func Run(ctx context.Context, logf func(string, ...any)) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	a := NewAgent(cli, logf)
	logf("started: keeping %s on the swarm leader (every %s)", LeaderLabel, Interval)
	for {
		if err := a.Tick(ctx); err != nil && ctx.Err() == nil {
			a.say("%v", err)
		}
		if err := poll.Sleep(ctx, Interval); err != nil {
			return nil
		}
	}
}

// Tick is one look: is this node the leader, and if so, where should the
// label be. It writes only as the leader, and only what Decide returns;
// a write refused (update out of sequence, when apply sets a node label
// at the same time) is tried again at the next look with a fresh version.
func (a *Agent) Tick(ctx context.Context) error {
	leading, self, err := a.leads(ctx)
	if err != nil {
		// An engine that cannot tell (no leader, engine restarting) is
		// not leading: a leadership seen after this is a new election.
		a.follow()
		return err
	}
	if !leading {
		a.follow()
		a.say("following: the leader's agent keeps the label")
		return nil
	}
	if !a.leading {
		a.leading, a.since, a.elected = true, a.now(), a.looked
		a.looked = true
		if a.elected {
			a.logf("this node became the swarm leader")
		} else {
			a.logf("this node is the swarm leader (it was when the agent started)")
		}
	}
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	nodes, err := a.eng.NodeList(rctx, swarm.NodeListOptions{})
	cancel()
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	d := Decide(View{Self: self, Nodes: nodes, Now: a.now(), Since: a.since, Elected: a.elected})
	a.say("%s", d.Why)
	for _, c := range d.Changes {
		if err := a.write(ctx, c); err != nil {
			return fmt.Errorf("%s: %w (trying again in %s)", c, err, Interval)
		}
		a.logf("%s", c)
	}
	return nil
}

// leads asks the local engine whether this node is the swarm's leader,
// and its node ID.
func (a *Agent) leads(ctx context.Context) (bool, string, error) {
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	info, err := a.eng.Info(rctx)
	if err != nil {
		return false, "", fmt.Errorf("engine info: %w", err)
	}
	sw := info.Swarm
	if sw.LocalNodeState != swarm.LocalNodeStateActive || !sw.ControlAvailable || sw.NodeID == "" {
		return false, sw.NodeID, nil
	}
	n, _, err := a.eng.NodeInspectWithRaw(rctx, sw.NodeID)
	if err != nil {
		return false, sw.NodeID, fmt.Errorf("inspect this node %s: %w", sw.NodeID, err)
	}
	return n.ManagerStatus != nil && n.ManagerStatus.Leader, sw.NodeID, nil
}

// follow records a look that found this node not leading (or could not
// tell).
func (a *Agent) follow() {
	a.looked, a.leading = true, false
}

// write sets or removes the label on one node, from the version listed.
func (a *Agent) write(ctx context.Context, c Change) error {
	spec := c.Node.Spec
	spec.Labels = maps.Clone(spec.Labels)
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	if c.Set {
		spec.Labels[LeaderLabel] = "true"
	} else {
		delete(spec.Labels, LeaderLabel)
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return a.eng.NodeUpdate(wctx, c.Node.ID, c.Node.Version, spec)
}

// say logs a state once, until another is said: the loop runs twice a
// second and repeats itself otherwise.
func (a *Agent) say(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if s != a.said {
		a.said = s
		a.logf("%s", s)
	}
}
