package stack

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

func waitFor(t *testing.T, f *watchManager, timeout time.Duration, services ...string) ([]string, error) {
	t.Helper()
	var said []string
	err := Wait(context.Background(), f, "demo", services, WaitOptions{Timeout: timeout, Report: func(l string) { said = append(said, l) }})
	return said, err
}

// Wait follows the engine's counts to the end, saying each change once,
// and a failed task of an older version is history, not a failure.
func TestWaitReportsProgressUntilReady(t *testing.T) {
	web, db := watchService("web", 2, 0), watchService("db", 1, 1)
	old := watchTask(web, 1, "n1", w0.Add(-time.Hour), swarm.TaskStateFailed)
	old.Status.Err = "an older version failed"
	f := &watchManager{services: []swarm.Service{web, db}, tasks: []swarm.Task{old, watchTask(db, 1, "n1", w0, swarm.TaskStateRunning)}}
	f.before = func(f *watchManager, n int) {
		running := uint64(min(n-1, 2)) // 0, 1, 2, 2, ...
		f.services[0].ServiceStatus.RunningTasks = running
		f.tasks = f.tasks[:2]
		for slot := 1; slot <= int(running); slot++ {
			f.tasks = append(f.tasks, watchTask(f.services[0], slot, "n1", w0.Add(time.Second), swarm.TaskStateRunning))
		}
	}
	said, err := waitFor(t, f, 10*time.Second, "web", "db")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"web: 0/2 running", "db: 1/1 running", "web: 1/2 running", "web: 2/2 running"}
	if !slices.Equal(said, want) {
		t.Errorf("progress = %q, want %q", said, want)
	}
}

// A task of the current deploy that failed ends the wait at once, naming
// the service, the node and the task's error.
func TestWaitFailsOnATaskOfTheCurrentDeploy(t *testing.T) {
	web := watchService("web", 1, 0)
	bad := watchTask(web, 1, "n2", w0.Add(time.Second), swarm.TaskStateRejected)
	bad.Status.Err = "No such image: nginx:nope"
	f := &watchManager{services: []swarm.Service{web}, tasks: []swarm.Task{bad}, nodes: []swarm.Node{watchNode("n2", "node2")}}
	start := time.Now()
	_, err := waitFor(t, f, time.Minute, "web")
	if err == nil || !strings.HasPrefix(err.Error(), `web on node2: task rejected: "No such image: nginx:nope"`) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the failure did not end the wait at once")
	}
}

// A paused or rolled back update cannot end well by waiting.
func TestWaitFailsOnAPausedUpdate(t *testing.T) {
	web := watchService("web", 1, 1)
	web.UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStatePaused, Message: "update paused due to failure"}
	_, err := waitFor(t, &watchManager{services: []swarm.Service{web}}, time.Minute, "web")
	if err == nil || !strings.Contains(err.Error(), "web: update paused: update paused due to failure") {
		t.Fatalf("err = %v", err)
	}
}

// Not ready in time: every service not ready is named with its counts and
// why its task waits; ready ones are not.
func TestWaitTimeoutNamesWhatIsNotReady(t *testing.T) {
	web, db := watchService("web", 2, 1), watchService("db", 1, 1)
	pending := watchTask(web, 2, "", w0.Add(time.Second), swarm.TaskStatePending)
	pending.Status.Err = "no suitable node (1 node not available for new tasks)"
	f := &watchManager{services: []swarm.Service{web, db}, tasks: []swarm.Task{
		watchTask(web, 1, "n1", w0, swarm.TaskStateRunning), pending, watchTask(db, 1, "n1", w0, swarm.TaskStateRunning)}}
	_, err := waitFor(t, f, time.Millisecond, "web", "db")
	if err == nil {
		t.Fatal("not ready, yet no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "web: 1/2 running (a task is pending: no suitable node (1 node not available for new tasks))") || strings.Contains(msg, "db:") {
		t.Errorf("err = %v", err)
	}
}

// Right after an update the old tasks still run at the desired count and
// swarm may not have marked the update yet: they do not make it ready.
func TestWaitOldTasksDoNotCount(t *testing.T) {
	web := watchService("web", 1, 1)
	oldTask := watchTask(web, 1, "n1", w0.Add(-time.Hour), swarm.TaskStateRunning)
	oldTask.Spec.ContainerSpec = &swarm.ContainerSpec{Image: "nginx:0"}
	if _, err := waitFor(t, &watchManager{services: []swarm.Service{web}, tasks: []swarm.Task{oldTask}}, time.Millisecond, "web"); err == nil {
		t.Error("ready on a task of the old spec")
	}
	web.UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateUpdating}
	running := watchTask(web, 1, "n1", w0, swarm.TaskStateRunning)
	_, err := waitFor(t, &watchManager{services: []swarm.Service{web}, tasks: []swarm.Task{running}}, time.Millisecond, "web")
	if err == nil || !strings.Contains(err.Error(), "web: 1/1 running, updating") {
		t.Errorf("err = %v; want the update in progress named", err)
	}
}

// A global service counts one task per eligible node; before swarm has
// made any, 0/0 is not ready.
func TestWaitGlobalNeedsTasks(t *testing.T) {
	agent := watchService("agent", 0, 0)
	agent.Spec.Mode = swarm.ServiceMode{Global: &swarm.GlobalService{}}
	f := &watchManager{services: []swarm.Service{agent}}
	if _, err := waitFor(t, f, time.Millisecond, "agent"); err == nil {
		t.Fatal("a global service with no task yet is ready")
	}
	f.services[0].ServiceStatus = &swarm.ServiceStatus{DesiredTasks: 2, RunningTasks: 2}
	f.tasks = []swarm.Task{watchTask(agent, 0, "n1", w0, swarm.TaskStateRunning), watchTask(agent, 0, "n2", w0, swarm.TaskStateRunning)}
	if _, err := waitFor(t, f, time.Millisecond, "agent"); err != nil {
		t.Fatal(err)
	}
}

func TestWaitMissingService(t *testing.T) {
	_, err := waitFor(t, &watchManager{}, time.Minute, "web")
	if err == nil || !strings.Contains(err.Error(), "no service demo_web") {
		t.Fatalf("err = %v", err)
	}
}
