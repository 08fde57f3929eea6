package apply

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// A new swarm gets the file's heartbeat in its init request.
func TestInitSetsDispatcherHeartbeat(t *testing.T) {
	for _, tc := range []struct {
		file string
		want time.Duration
	}{{"", 2 * time.Second}, {"3s", 3 * time.Second}} {
		c := testCluster("manager")
		c.Tuning.DispatcherHeartbeat = tc.file
		cf := &ClusterFacts{Hosts: map[string]*Facts{"node1": freshFacts()}}
		engines := map[string]*fakeDocker{"node1": {sw: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}, joinID: "id-node1"}}
		e, _, _ := wetEnv(c, cf, engines)
		steps, err := planSwarm(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		if got := actions(steps); got != "node1: initialise the swarm, advertising 127.0.0.11" {
			t.Fatalf("plan:\n%s", got)
		}
		if err := e.gate.run(context.Background(), "swarm", steps); err != nil {
			t.Fatal(err)
		}
		inits := engines["node1"].inits
		if len(inits) != 1 || inits[0].Spec.Dispatcher.HeartbeatPeriod != tc.want {
			t.Errorf("heartbeat %q: init requests %+v, want heartbeat %s", tc.file, inits, tc.want)
		}
	}
}

// A swarm with another heartbeat than the file's gets one step that
// changes only the heartbeat, under the version it read; one that has
// the file's, or whose heartbeat no manager gave, gets none.
func TestPlanUpdatesDispatcherHeartbeat(t *testing.T) {
	c := testCluster("manager", "manager", "manager")
	cf := converged(c)
	cf.Heartbeat = 5 * time.Second
	var spec swarm.Spec
	spec.Name = "default"
	spec.Labels = map[string]string{"owner": "ops"}
	spec.Raft.ElectionTick = 10
	spec.Dispatcher.HeartbeatPeriod = 5 * time.Second
	engines := map[string]*fakeDocker{"node1": {sw: inSwarm("id-node1", true), spec: spec, specVer: 7}}
	e, _, _ := wetEnv(c, cf, engines)
	steps, err := planSwarm(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(steps); got != "node1: update dispatcher heartbeat 5s -> 2s" {
		t.Fatalf("plan:\n%s", got)
	}
	if !strings.Contains(steps[0].Reason, "tuning.dispatcher_heartbeat") {
		t.Errorf("reason %q does not name the setting", steps[0].Reason)
	}
	if err := e.gate.run(context.Background(), "swarm", steps); err != nil {
		t.Fatal(err)
	}
	d := engines["node1"]
	want := spec
	want.Dispatcher.HeartbeatPeriod = 2 * time.Second
	if !reflect.DeepEqual(d.spec, want) || d.specVer != 8 {
		t.Errorf("swarm spec now %+v (version %d), want %+v (version 8)", d.spec, d.specVer, want)
	}
	if got := withoutInfo(d.callLog()); !reflect.DeepEqual(got, []string{"swarm inspect", "swarm update heartbeat=2s"}) {
		t.Errorf("manager was asked %q", got)
	}

	for _, hb := range []time.Duration{2 * time.Second, 0} {
		cf.Heartbeat = hb
		e := &env{cluster: c, facts: cf, result: &Result{}}
		if steps, err := planSwarm(context.Background(), e); err != nil || len(steps) != 0 {
			t.Errorf("swarm heartbeat %s: planned %s (err %v)", hb, actions(steps), err)
		}
	}
}

// The step reads the swarm when it runs: a change made since the plan
// (the version moved on) is kept, not overwritten.
func TestHeartbeatStepKeepsChangesSincePlan(t *testing.T) {
	c := testCluster("manager")
	cf := converged(c)
	cf.Heartbeat = 5 * time.Second
	d := &fakeDocker{sw: inSwarm("id-node1", true), specVer: 3}
	d.spec.Dispatcher.HeartbeatPeriod = 5 * time.Second
	e, _, _ := wetEnv(c, cf, map[string]*fakeDocker{"node1": d})
	steps, err := planSwarm(context.Background(), e)
	if err != nil || len(steps) != 1 {
		t.Fatalf("plan %s (err %v)", actions(steps), err)
	}
	// Someone else updates the swarm between the plan and the step; the
	// step reads the new version.
	d.spec.Labels = map[string]string{"changed": "meanwhile"}
	d.specVer++
	if err := e.gate.run(context.Background(), "swarm", steps); err != nil {
		t.Fatal(err)
	}
	if d.spec.Labels["changed"] != "meanwhile" || d.spec.Dispatcher.HeartbeatPeriod != 2*time.Second {
		t.Errorf("spec %+v", d.spec)
	}
}
