//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// probeNode is a node of `skep status --output json` with the fields of
// the node probes (README.md, "Status as JSON").
type probeNode struct {
	Name           string   `json:"name"`
	State          string   `json:"state"`
	Probe          string   `json:"probe"`
	DownForSeconds float64  `json:"down_for_seconds"`
	SwarmNoticed   *bool    `json:"swarm_noticed"`
	DownSince      string   `json:"down_since"`
	problems       []string // the report's
}

func (n probeNode) String() string {
	noticed := "-"
	if n.SwarmNoticed != nil {
		noticed = fmt.Sprint(*n.SwarmNoticed)
	}
	return fmt.Sprintf("%s: state %s, probe %q, down for %.1fs, swarm noticed %s", n.Name, n.State, n.Probe, n.DownForSeconds, noticed)
}

// probeStatus runs status once, without a test (it may run in a
// goroutine), and returns node's entry.
func probeStatus(node string) (probeNode, error) {
	r, timedOut, err := runSkep(30*time.Second, "status", "--output", "json", "--lab", labName)
	if err != nil || timedOut {
		return probeNode{}, fmt.Errorf("status: %v (timed out %v)", err, timedOut)
	}
	var s struct {
		Problems []string    `json:"problems"`
		Nodes    []probeNode `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		return probeNode{}, fmt.Errorf("status JSON: %v\n%s", err, r.stdout)
	}
	for _, n := range s.Nodes {
		if n.Name == node {
			n.problems = s.Problems
			return n, nil
		}
	}
	return probeNode{}, fmt.Errorf("status lists no %s:\n%s", node, r.stdout)
}

// swarmHeartbeat sets the swarm's dispatcher heartbeat through a manager.
func swarmHeartbeat(t *testing.T, period time.Duration) {
	t.Helper()
	mustSkep(t, 30*time.Second, "lab", "ssh", "--name", labName, "node1", "--",
		"timeout 20 docker swarm update --dispatcher-heartbeat "+period.String())
}

// TestNodeProbes: a frozen worker is down by the managers' probes within
// seconds, with how long, while the swarm still calls it ready; the
// swarm notices later; thawed, it answers the probes again.
//
// The swarm runs with its stock 5 s heartbeat during the test (restored
// after). With skep's 1 s heartbeat the swarm marks a frozen node down
// 2-4 s after the freeze and the probes see it 1-2 s after, a gap too
// narrow to catch reliably with status calls that take 3 s each while a
// node is frozen; with the stock heartbeat the gap is the ~13 s the probes
// save on a cluster left at swarm's defaults, and after an election.
func TestNodeProbes(t *testing.T) {
	waitHealthy(t, 3*time.Minute)
	const node = "node4"
	if n, err := probeStatus(node); err != nil || n.Probe != "ok" {
		t.Fatalf("before the freeze: %v %v; want probe ok", n, err)
	}
	lab := labCluster(t)
	swarmHeartbeat(t, 5*time.Second)
	t.Cleanup(func() { swarmHeartbeat(t, lab.Tuning.Heartbeat()) })
	time.Sleep(2 * time.Second) // every node takes the new period at its next heartbeat

	start := time.Now()
	thaw := inflict(t, "pause", "unpause", node)
	paused := time.Now()
	t.Logf("%s paused in %.1fs", node, paused.Sub(start).Seconds())

	// Status calls started 1 to 5 s after the freeze, side by side: each
	// waits ~3 s for the frozen host's SSH.
	type sample struct {
		started, ended time.Duration // after the freeze
		n              probeNode
		err            error
	}
	var mu sync.Mutex
	var samples []sample
	var wg sync.WaitGroup
	for i := 1; i <= 5; i++ {
		wg.Go(func() {
			time.Sleep(time.Until(paused.Add(time.Duration(i) * time.Second)))
			started := time.Since(paused)
			n, err := probeStatus(node)
			mu.Lock()
			samples = append(samples, sample{started, time.Since(paused), n, err})
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Slice(samples, func(i, j int) bool { return samples[i].started < samples[j].started })
	caught := false
	for _, s := range samples {
		t.Logf("status started %.1fs, ended %.1fs after the freeze: %v %v; problems %q", s.started.Seconds(), s.ended.Seconds(), s.n, s.err, s.n.problems)
		if s.err == nil && s.started <= 5500*time.Millisecond && s.n.Probe == "down" && s.n.DownForSeconds > 0 && s.n.SwarmNoticed != nil && !*s.n.SwarmNoticed {
			caught = true
		}
	}
	if !caught {
		t.Errorf("no status started within 5 s of the freeze showed %s down by probe (down_for_seconds > 0) while the swarm had not noticed", node)
	}

	eventually(t, 30*time.Second, "the swarm notices "+node, func() (bool, string) {
		n, err := probeStatus(node)
		if err != nil {
			return false, err.Error()
		}
		return n.Probe == "down" && n.SwarmNoticed != nil && *n.SwarmNoticed && n.DownForSeconds > 5, n.String()
	})
	t.Logf("status showed the swarm noticed %s %.1fs after the freeze", node, time.Since(paused).Seconds())

	thaw()
	thawed := time.Now()
	waitHealthy(t, 3*time.Minute)
	n, err := probeStatus(node)
	if err != nil || n.Probe != "ok" || n.SwarmNoticed != nil || n.DownForSeconds != 0 {
		t.Errorf("after the thaw: %v %v; want probe ok and no down fields", n, err)
	}
	t.Logf("healthy %.1fs after the thaw; whole test %.1fs", time.Since(thawed).Seconds(), time.Since(start).Seconds())
}
