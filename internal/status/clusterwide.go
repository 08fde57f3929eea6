package status

import (
	"context"
	"sync"
	"time"

	"skep/internal/config"
)

// fallbackMin is the least time left for which asking another brick host
// the cluster-wide questions is worth it: they take about a second.
const fallbackMin = time.Second

// clusterWide makes sure each call asks GlusterFS's questions of one brick
// host only: the cluster-wide ones (volume status, heal info, and the
// volume status of skep's own volume: transactions among all glusterds,
// which queue or fail when two run at once) and the local ones (peer
// status, volume info), all in that host's one docker exec. The first
// brick host that connects asks them, in its own script; a frozen or dead
// one never connects, so it cannot hold the choice up.
// If its answer is missing or failed and time remains, the next connected
// brick host (in cluster-file order) is asked, after the first one's
// questions ended. Every other host tells only its own facts.
type clusterWide struct {
	mu     sync.Mutex
	bricks []*probe // brick hosts' probes, in cluster-file order
	asker  *probe
	gone   int // brick hosts that could not be reached
	// settled is closed once no more cluster-wide questions will be
	// asked; until then probes keep their connection for a fallback.
	settled chan struct{}
	once    sync.Once
	// ask asks a probe the cluster-wide questions on their own; a field
	// so that tests can watch the order.
	ask func(*probe, context.Context)
	// answered tells whether a probe's answer to them is whole.
	answered func(*probe) bool
}

func newClusterWide(c *config.Cluster) *clusterWide {
	cw := &clusterWide{settled: make(chan struct{}),
		ask:      (*probe).askClusterWide,
		answered: (*probe).clusterWideAnswered,
	}
	if c.Storage == nil {
		cw.settle()
	}
	return cw
}

func (cw *clusterWide) add(p *probe) {
	if p.brick {
		cw.bricks = append(cw.bricks, p)
	}
}

// claim makes p the asker if it is a brick host and none is yet.
func (cw *clusterWide) claim(p *probe) bool {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if !p.brick || cw.asker != nil {
		return false
	}
	cw.asker = p
	return true
}

// unreachable records a brick host that could not be reached; when no
// brick host can be, nobody will ask.
func (cw *clusterWide) unreachable(p *probe) {
	if !p.brick {
		return
	}
	cw.mu.Lock()
	cw.gone++
	all := cw.gone == len(cw.bricks)
	cw.mu.Unlock()
	if all {
		cw.settle()
	}
}

// finish runs when the asker's script ended (or was cut): while the
// answer is not whole and time remains, the next connected brick host is
// asked, one at a time.
func (cw *clusterWide) finish(ctx context.Context, asker *probe) {
	defer cw.settle()
	tried := map[*probe]bool{asker: true}
	cur := asker
	for !cw.answered(cur) && ctx.Err() == nil && time.Until(deadline(ctx)) >= fallbackMin {
		next := cw.next(tried)
		if next == nil {
			return
		}
		tried[next] = true
		cw.ask(next, ctx)
		cur = next
	}
}

// next is the first connected brick host in cluster-file order not tried
// yet; nil when none is left.
func (cw *clusterWide) next(tried map[*probe]bool) *probe {
	for _, p := range cw.bricks {
		p.mu.Lock()
		connected := p.host != nil
		p.mu.Unlock()
		if connected && !tried[p] {
			return p
		}
	}
	return nil
}

func (cw *clusterWide) settle() { cw.once.Do(func() { close(cw.settled) }) }

// wait blocks until no more cluster-wide questions will be asked (or ctx
// ends).
func (cw *clusterWide) wait(ctx context.Context) {
	select {
	case <-cw.settled:
	case <-ctx.Done():
	}
}

func deadline(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Now().Add(time.Hour)
	}
	return d
}

// clusterWideAnswered tells whether this host answered both cluster-wide
// questions of the user volume, in its script or when asked on their own.
// skep's own volume's status is not waited for: asking the next host for
// it would ask all three again, two more transactions for one answer; it
// is asked again along with the others when they are.
func (p *probe) clusterWideAnswered() bool {
	p.mu.Lock()
	out, wide := p.out, p.wide
	p.mu.Unlock()
	f := out.facts()
	if f == nil {
		return false
	}
	mergeClusterWide(f, wide.facts())
	return f.Answered["volstatus"] && f.BricksErr == nil && f.Answered["heal"] && f.HealErr == nil
}
