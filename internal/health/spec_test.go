package health

import (
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

// The probe runs on every node (no constraint), on skep-health alone, by
// DNS round robin (every task's own address), publishing nothing, with
// the engine socket read-only and its node's name and ID from swarm.
func TestProbeSpec(t *testing.T) {
	s := ProbeSpec("skep-node-probe:abc")
	c := s.TaskTemplate.ContainerSpec
	switch {
	case s.Mode.Global == nil:
		t.Error("not global")
	case s.TaskTemplate.Placement != nil && len(s.TaskTemplate.Placement.Constraints) > 0:
		t.Errorf("constrained to %v: workers must run it too", s.TaskTemplate.Placement.Constraints)
	case s.EndpointSpec == nil || s.EndpointSpec.Mode != swarm.ResolutionModeDNSRR || len(s.EndpointSpec.Ports) > 0:
		t.Errorf("endpoint %+v", s.EndpointSpec)
	case len(s.TaskTemplate.Networks) != 1 || s.TaskTemplate.Networks[0].Target != Network:
		t.Errorf("networks %+v", s.TaskTemplate.Networks)
	case len(c.Mounts) != 1 || c.Mounts[0].Source != "/var/run/docker.sock" || !c.Mounts[0].ReadOnly:
		t.Errorf("mounts %+v", c.Mounts)
	case !slices.Contains(c.Env, "SKEP_NODE_HOSTNAME={{.Node.Hostname}}") || !slices.Contains(c.Env, "SKEP_NODE_ID={{.Node.ID}}"):
		t.Errorf("env %v", c.Env)
	case s.UpdateConfig.Order != swarm.UpdateOrderStartFirst:
		t.Errorf("update order %s: a node must keep a probe through an update", s.UpdateConfig.Order)
	}
	if o := NetworkOptions(nil); o.Driver != "overlay" || !o.Internal || o.Attachable {
		t.Errorf("network %+v", o)
	}
	if m := ProberMount(); m.Source != "/run" || m.Target != HostRun || m.ReadOnly || AgentViewDir != HostRun+strings.TrimPrefix(ViewDir, "/run") {
		t.Errorf("prober mount %+v", m)
	}
}
