package stack

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

const leaderYAML = `
services:
  one:
    image: a
  single:
    image: a
    deploy:
      replicas: 1
      placement:
        constraints: [node.labels.zone == a]
  two:
    image: a
    deploy: {replicas: 2}
  each:
    image: a
    deploy: {mode: global}
  mine:
    image: a
    deploy:
      labels: {skep.placement.leader: allow}
  pinned:
    image: a
    deploy:
      placement:
        constraints: [node.hostname == node2]
  scaled:
    image: a
    scale: 1
`

// A service with one replica (compose's default) is kept off the swarm
// leader; more replicas, global mode, the opt-out label and a pin to one
// node leave its constraints as the file wrote them.
func TestConvertKeepsSingletonsOffLeader(t *testing.T) {
	const avoid = "node.labels.skep.leader!=true"
	runCases(t, []convertCase{{
		name: "singletons",
		yaml: leaderYAML,
		check: func(t *testing.T, st *Stack) {
			constraints := func(name string) []string {
				if p := svc(t, st, "app_"+name).TaskTemplate.Placement; p != nil {
					return p.Constraints
				}
				return nil
			}
			eq(t, "one", constraints("one"), []string{avoid})
			eq(t, "single (its own constraint first)", constraints("single"), []string{"node.labels.zone == a", avoid})
			eq(t, "scale 1", constraints("scaled"), []string{avoid})
			eq(t, "two replicas", constraints("two"), []string(nil))
			eq(t, "global", constraints("each"), []string(nil))
			eq(t, "opted out", constraints("mine"), []string(nil))
			eq(t, "opt-out label kept", svc(t, st, "app_mine").Labels["skep.placement.leader"], "allow")
			eq(t, "pinned", constraints("pinned"), []string{"node.hostname == node2"})
			hasNote(t, st, "service one: one replica, kept off the swarm leader (constraint "+avoid+")")
			hasNote(t, st, "deploy label skep.placement.leader=allow lets it run there")
			hasNote(t, st, "service pinned: one replica pinned to one node")
			noNote(t, st, "service two:")
			noNote(t, st, "service each:")
			noNote(t, st, "service mine:")
		},
	}, {
		name:    "a misspelt opt-out",
		yaml:    "services: {web: {image: a, deploy: {labels: {skep.placement.leader: allowed}}}}",
		wantErr: `service web: deploy.labels.skep.placement.leader: "allowed"`,
	}})
}

// The constraint off the leader narrows no image check: the label moves
// with the leadership, so every node of the role must hold the image.
func TestEligibleIgnoresLeaderLabel(t *testing.T) {
	nodes := []ImageNode{{Name: "node1", Manager: true}, {Name: "node2", Manager: true}, {Name: "node4"}}
	for _, tc := range []struct {
		constraints []string
		want        []string
	}{
		{[]string{"node.labels.skep.leader!=true"}, []string{"node1", "node2", "node4"}},
		{[]string{"node.role==manager", "node.labels.skep.leader!=true"}, []string{"node1", "node2"}},
	} {
		spec := swarm.ServiceSpec{TaskTemplate: swarm.TaskSpec{Placement: &swarm.Placement{Constraints: tc.constraints}}}
		eq(t, strings.Join(tc.constraints, " "), eligible(spec, nodes), tc.want)
	}
}
