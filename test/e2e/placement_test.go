//go:build e2e

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// placementFacts is what a manager says about leader placement, every
// node by its swarm host name.
type placementFacts struct {
	leader     string
	labelled   string // the nodes carrying skep.leader=true, sorted, space-separated
	controller string // TASK@NODE of the controller's running task ("" for none)
	agents     int    // running tasks of skep-leader-agent
}

func (p placementFacts) String() string {
	return fmt.Sprintf("leader %q, labelled %q, controller %q, agents %d", p.leader, p.labelled, p.controller, p.agents)
}

// placementOn asks one node. Every command has a timeout: while the swarm
// has no leader, a manager holds node and service requests.
func placementOn(t *testing.T, node string) placementFacts {
	t.Helper()
	out := skep(t, time.Minute, "lab", "ssh", "--name", labName, node, "--", `
echo "leader=$(timeout 10 docker node ls --format '{{.Hostname}} {{.ManagerStatus}}' | awk '$2 == "Leader" {print $1}')"
echo "labelled=$(timeout 10 docker node ls -q --filter node.label=skep.leader=true | xargs -r timeout 10 docker node inspect --format '{{.Description.Hostname}}' | sort | tr '\n' ' ')"
echo "controller=$(timeout 10 docker service ps skep-controller --filter desired-state=running --format '{{.ID}}@{{.Node}} {{.CurrentState}}' | awk '$2 == "Running" {print $1}')"
echo "agents=$(timeout 10 docker service ps skep-leader-agent --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running')"
`).stdout
	var p placementFacts
	for _, line := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		v = strings.TrimSpace(v)
		switch k {
		case "leader":
			p.leader = v
		case "labelled":
			p.labelled = v
		case "controller":
			p.controller = v
		case "agents":
			p.agents, _ = strconv.Atoi(v)
		}
	}
	return p
}

// TestLeaderPlacement: the leader agent keeps skep.leader on the leader
// alone and the controller (one replica) runs elsewhere; when the leader
// is killed, the label follows the new leader once the swarm settles, and
// the controller's task goes on untouched unless the new leader is the
// node it ran on (then it moves off).
func TestLeaderPlacement(t *testing.T) {
	waitHealthy(t, 3*time.Minute)
	s, _ := status(t)
	leader, asker := s.leader(), s.nonLeader()
	if leader == "" || asker == "" {
		t.Fatalf("no leader or no other manager: %+v", s.Nodes)
	}

	var before placementFacts
	took := eventually(t, time.Minute, "the label on the leader alone, the controller elsewhere", func() (bool, string) {
		before = placementOn(t, asker)
		_, ctlNode, _ := strings.Cut(before.controller, "@")
		return before.leader != "" && before.labelled == before.leader && before.agents == 3 &&
			ctlNode != "" && ctlNode != before.leader, before.String()
	})
	t.Logf("settled after %.1fs: %s", took.Seconds(), before)

	restart := inflict(t, "kill", "start", leader)
	killed := time.Now()
	var after placementFacts
	eventually(t, 90*time.Second, "the label on the new leader alone", func() (bool, string) {
		after = placementOn(t, asker)
		return after.leader != "" && after.leader != before.leader && after.labelled == after.leader, after.String()
	})
	t.Logf("label on the new leader %.1fs after the kill: %s", time.Since(killed).Seconds(), after)
	_, ranOn, _ := strings.Cut(before.controller, "@")
	if after.leader != ranOn {
		// The controller's node neither died nor became leader: its task
		// must not have noticed anything.
		if after.controller != before.controller {
			t.Errorf("the controller's task changed from %s to %s though its node stayed a follower", before.controller, after.controller)
		}
	} else {
		eventually(t, 30*time.Second, "the controller moved off the new leader", func() (bool, string) {
			p := placementOn(t, asker)
			_, on, _ := strings.Cut(p.controller, "@")
			return on != "" && on != p.leader && on != before.leader, p.String()
		})
	}
	restart()
	waitHealthy(t, 3*time.Minute)
	if p := placementOn(t, asker); p.labelled != p.leader {
		t.Errorf("after the old leader came back: %s", p)
	}
}
