package apply

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// restartSetup is one manager in a swarm whose daemon.json lacks skep's
// settings but has one of the operator's; engine is its Docker engine.
func restartSetup(engine *fakeDocker) (*env, *fakeNode) {
	c := testCluster("manager")
	cf := converged(c)
	cf.Hosts["node1"].DaemonJSON = `{"debug": true}`
	e, fakes, _ := wetEnv(c, cf, map[string]*fakeDocker{"node1": engine})
	return e, fakes["node1"]
}

func restartStep(t *testing.T, e *env) []Step {
	t.Helper()
	steps, err := planPrepare(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(steps); got != "node1: write /etc/docker/daemon.json and restart the engine" {
		t.Fatalf("plan:\n%s", got)
	}
	return steps
}

// The restart step writes the merged daemon.json, restarts the engine and
// returns only once the engine answers and is back in its swarm.
func TestRestartWaitsForEngineBackInSwarm(t *testing.T) {
	engine := &fakeDocker{
		script: []infoReply{
			{err: errors.New("Cannot connect to the Docker daemon")},
			{swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStatePending, NodeID: "id-node1"}},
		},
		sw: inSwarm("id-node1", true),
	}
	e, node := restartSetup(engine)
	if err := e.gate.run(context.Background(), "prepare host", restartStep(t, e)); err != nil {
		t.Fatal(err)
	}
	if engine.infos != 3 {
		t.Fatalf("engine asked %d times, want 3: down, rejoining, back in the swarm", engine.infos)
	}
	want := []string{"upload /etc/docker/daemon.json 0644", "sudo systemctl restart docker", "docker", "docker", "docker"}
	if got := node.entries(); !reflect.DeepEqual(got, want) {
		t.Fatalf("node1 did\n%q\nwant\n%q", got, want)
	}
	var written map[string]any
	if err := json.Unmarshal(node.uploads[daemonJSONPath], &written); err != nil {
		t.Fatal(err)
	}
	if written["log-driver"] != "journald" || written["debug"] != true {
		t.Fatalf("daemon.json written: %v; want skep's log driver and the operator's debug kept", written)
	}
}

// An engine that answers but stays out of its swarm is not back: the step
// keeps waiting, and fails when the wait ends.
func TestRestartFailsWhileOutOfSwarm(t *testing.T) {
	engine := &fakeDocker{sw: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}}
	e, _ := restartSetup(engine)
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	err := e.gate.run(ctx, "prepare host", restartStep(t, e))
	if !errors.Is(err, context.DeadlineExceeded) || engine.infos < 2 {
		t.Fatalf("err %v after %d looks; want the wait to run out", err, engine.infos)
	}
}

// A host that was not in a swarm is back as soon as its engine answers.
func TestRestartOutsideSwarmWaitsForEngineOnly(t *testing.T) {
	engine := &fakeDocker{sw: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}}
	e, _ := restartSetup(engine)
	e.facts.Hosts["node1"].Swarm.Local = swarm.LocalNodeStateInactive
	if err := e.gate.run(context.Background(), "prepare host", restartStep(t, e)); err != nil {
		t.Fatal(err)
	}
	if engine.infos != 1 {
		t.Fatalf("engine asked %d times, want 1", engine.infos)
	}
}
