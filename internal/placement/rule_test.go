package placement

import (
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"

	"skep/internal/health"
)

func replicated(n *uint64, constraints ...string) swarm.ServiceSpec {
	s := swarm.ServiceSpec{Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: n}}}
	if constraints != nil {
		s.TaskTemplate.Placement = &swarm.Placement{Constraints: constraints}
	}
	return s
}

func count(n uint64) *uint64 { return &n }

func TestKeepOffLeader(t *testing.T) {
	cases := []struct {
		name   string
		spec   swarm.ServiceSpec
		labels map[string]string
		want   Verdict
		cons   []string // constraints after
	}{
		{name: "replicas not given (swarm runs 1)", spec: replicated(nil), want: Added, cons: []string{AvoidLeader}},
		{name: "one replica", spec: replicated(count(1)), want: Added, cons: []string{AvoidLeader}},
		{name: "a user constraint is kept, first", spec: replicated(count(1), "node.labels.zone==a"), want: Added,
			cons: []string{"node.labels.zone==a", AvoidLeader}},
		{name: "two replicas", spec: replicated(count(2)), want: NotSingleton},
		{name: "no replica", spec: replicated(count(0)), want: NotSingleton},
		{name: "global", spec: swarm.ServiceSpec{Mode: swarm.ServiceMode{Global: &swarm.GlobalService{}}}, want: NotSingleton},
		{name: "a job", spec: swarm.ServiceSpec{Mode: swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{}}}, want: NotSingleton},
		{name: "opted out", spec: replicated(count(1)), labels: map[string]string{OptOutLabel: OptOutAllow}, want: OptedOut},
		{name: "pinned by hostname", spec: replicated(nil, "node.hostname == node2"), want: Pinned,
			cons: []string{"node.hostname == node2"}},
		{name: "pinned by id", spec: replicated(nil, "Node.ID==abc"), want: Pinned, cons: []string{"Node.ID==abc"}},
		{name: "a hostname excluded is no pin", spec: replicated(nil, "node.hostname!=node2"), want: Added,
			cons: []string{"node.hostname!=node2", AvoidLeader}},
		{name: "written by the user already", spec: replicated(nil, "node.labels.skep.leader != true"), want: Already,
			cons: []string{"node.labels.skep.leader != true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := KeepOffLeader(&c.spec, c.labels)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("verdict %d, want %d", got, c.want)
			}
			var cons []string
			if p := c.spec.TaskTemplate.Placement; p != nil {
				cons = p.Constraints
			}
			if !slices.Equal(cons, c.cons) {
				t.Errorf("constraints %q, want %q", cons, c.cons)
			}
		})
	}
}

// A typo in the opt-out label is an error, not a silent choice.
func TestKeepOffLeaderBadOptOut(t *testing.T) {
	for _, spec := range []swarm.ServiceSpec{replicated(nil), replicated(count(3))} {
		_, err := KeepOffLeader(&spec, map[string]string{OptOutLabel: "allowed"})
		if err == nil || !strings.Contains(err.Error(), `deploy.labels.skep.placement.leader: "allowed"`) || !strings.Contains(err.Error(), `"allow"`) {
			t.Errorf("err %v", err)
		}
	}
}

// The constraints slice handed in (the compose project's own) is not
// written through.
func TestKeepOffLeaderCopies(t *testing.T) {
	own := make([]string, 1, 4)
	own[0] = "node.labels.zone==a"
	spec := replicated(nil)
	spec.TaskTemplate.Placement = &swarm.Placement{Constraints: own}
	if _, err := KeepOffLeader(&spec, nil); err != nil {
		t.Fatal(err)
	}
	if got := own[:2][1]; got != "" {
		t.Errorf("the caller's backing array got %q", got)
	}
}

// The agent's service: every manager, the socket read-write (node updates),
// the host's health view directory, skep-health only (to reach the node
// probes; nothing published), restarted a second after it stops.
func TestAgentSpec(t *testing.T) {
	s := AgentSpec("skep-leader-agent:abc")
	if s.Name != AgentService || s.Mode.Global == nil {
		t.Fatalf("name %s mode %+v", s.Name, s.Mode)
	}
	if c := s.TaskTemplate.Placement.Constraints; !slices.Equal(c, []string{"node.role==manager"}) {
		t.Errorf("constraints %q", c)
	}
	m := s.TaskTemplate.ContainerSpec.Mounts
	if len(m) != 2 || m[0].Source != "/var/run/docker.sock" || m[0].Target != "/var/run/docker.sock" || m[0].ReadOnly ||
		m[1] != health.ProberMount() {
		t.Errorf("mounts %+v", m)
	}
	n := s.TaskTemplate.Networks
	if len(n) != 1 || n[0].Target != health.Network || (s.EndpointSpec != nil && len(s.EndpointSpec.Ports) != 0) {
		t.Errorf("networks %+v endpoint %+v: the agent joins skep-health only, and publishes nothing", n, s.EndpointSpec)
	}
	r := s.TaskTemplate.RestartPolicy
	if r.Condition != swarm.RestartPolicyConditionAny || r.Delay == nil || r.Delay.Seconds() != 1 {
		t.Errorf("restart %+v", r)
	}
	if s.TaskTemplate.ContainerSpec.Image != "skep-leader-agent:abc" {
		t.Errorf("image %s", s.TaskTemplate.ContainerSpec.Image)
	}
}
