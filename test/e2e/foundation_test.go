//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFoundation: healthy after up, a converged re-apply restarts no engine,
// bad input, node loss and return, leader loss. (Up and down are in
// TestMain; plan on the converged lab is in TestPlanMatchesApply.)
func TestFoundation(t *testing.T) {
	l := theLab(t)
	waitHealthy(t, 2*time.Minute)

	t.Run("healthy after up", func(t *testing.T) {
		s, r := status(t)
		if r.code != 0 || !s.Healthy {
			t.Fatalf("status exit %d, healthy %v, problems %v", r.code, s.Healthy, s.Problems)
		}
		if s.Swarm == nil || s.Swarm.Managers != 3 || s.Swarm.ReachableManagers != 3 || !s.Swarm.Quorum {
			t.Fatalf("swarm section: %+v", s.Swarm)
		}
		leaders := 0
		for _, n := range s.Nodes {
			if n.Leader {
				leaders++
			}
			if n.State != "ready" || (n.Role != "manager" && n.Name != "node4") || n.Availability != "active" {
				t.Errorf("node %+v", n)
			}
		}
		if leaders != 1 || len(s.Nodes) != 4 {
			t.Fatalf("want 4 nodes (3 managers, 1 worker) and 1 leader, got %d nodes, %d leaders", len(s.Nodes), leaders)
		}
		if s.Problems == nil {
			t.Errorf("problems must be an array, even when empty")
		}
	})

	t.Run("key files are private", func(t *testing.T) {
		for _, f := range []string{"id_ed25519", "known_hosts", "cluster.yaml"} {
			st, err := os.Stat(filepath.Join(l.StateDir, f))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %o, want 600", f, st.Mode().Perm())
			}
		}
	})

	t.Run("second apply changes nothing", func(t *testing.T) {
		before := engineStarts(t)
		r := mustSkep(t, 3*time.Minute, "apply", "--lab", labName)
		if !strings.Contains(r.stdout, "nothing to do") {
			t.Fatalf("second apply did something:\n%s", r.stdout)
		}
		if after := engineStarts(t); after != before {
			t.Fatalf("an engine was restarted by a no-op apply:\nbefore %s\nafter  %s", before, after)
		}
		t.Logf("second apply: %.1fs (lab up with first apply: %.1fs)", r.elapsed.Seconds(), upElapsed.Seconds())
	})

	t.Run("bad cluster file is refused before any contact", func(t *testing.T) { badInput(t, l.ClusterFile) })

	t.Run("non-leader lost and back", func(t *testing.T) {
		waitHealthy(t, 3*time.Minute)
		s, _ := status(t)
		victim := s.nonLeader()
		restart := inflict(t, "kill", "start", victim)
		took := eventually(t, 60*time.Second, victim+" shown down", func() (bool, string) {
			s, r := status(t)
			st, _ := s.node(victim)
			return st == "down" && r.code == 1 && s.Swarm != nil && s.Swarm.Quorum && !s.Healthy, st
		})
		t.Logf("%s shown down after %.1fs (status exit 1, quorum kept)", victim, took.Seconds())
		restart()
		took = eventually(t, 3*time.Minute, "healthy again without apply", func() (bool, string) {
			s, r := status(t)
			return r.code == 0 && s.Healthy, strings.Join(s.Problems, "; ")
		})
		t.Logf("healthy %.1fs after start", took.Seconds())
	})

	for _, f := range []struct{ fault, undo, done string }{{"pause", "unpause", "frozen"}, {"partition", "heal", "cut off"}} {
		t.Run("non-leader "+f.done+" and back", func(t *testing.T) {
			waitHealthy(t, 3*time.Minute)
			s, _ := status(t)
			victim := ""
			for _, n := range s.Nodes {
				if !n.Leader && n.Role == "manager" {
					victim = n.Name
				}
			}
			undo := inflict(t, f.fault, f.undo, victim)
			took := eventually(t, 60*time.Second, victim+" shown down", func() (bool, string) {
				s, r := status(t)
				st, _ := s.node(victim)
				return st == "down" && r.code == 1 && s.Swarm != nil && s.Swarm.Quorum, st
			})
			t.Logf("%s %s: shown down after %.1fs, quorum kept", victim, f.done, took.Seconds())
			undo()
			waitHealthy(t, 3*time.Minute)
		})
	}

	t.Run("leader lost: a new leader within 30s", func(t *testing.T) {
		waitHealthy(t, 3*time.Minute)
		s, _ := status(t)
		old := s.leader()
		if old == "" {
			t.Fatal("no leader")
		}
		restart := inflict(t, "kill", "start", old)
		took := eventually(t, 30*time.Second, "new leader", func() (bool, string) {
			s, _ := status(t)
			l := s.leader()
			return l != "" && l != old && s.Swarm != nil && s.Swarm.Quorum, "leader=" + l
		})
		t.Logf("new leader after %.1fs (stock swarm settings)", took.Seconds())
		restart()
		waitHealthy(t, 3*time.Minute)
	})
}

// engineStarts is when each node's Docker engine last started: a no-op
// apply must not restart any of them.
func engineStarts(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, n := range []string{"node1", "node2", "node3"} {
		b.WriteString(docker(t, "exec", labName+"-"+n, "systemctl", "show", "-p", "ActiveEnterTimestamp", "docker"))
		b.WriteString(" ")
	}
	return b.String()
}
