package stack

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

func otherStack(short string) swarm.Service {
	s := watchService(short, 1, 1)
	s.ID = "id-other-" + short
	s.Spec.Name = "mon_" + short
	s.Spec.Labels = map[string]string{LabelNamespace: "mon"}
	return s
}

func TestListCountsServicesPerStack(t *testing.T) {
	plain := watchService("plain", 1, 1)
	plain.Spec.Labels = nil // a service of no stack
	f := &watchManager{services: []swarm.Service{watchService("web", 1, 1), otherStack("prom"), plain, watchService("db", 1, 0)}}
	got, err := List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Summary{{Name: "demo", Services: 2}, {Name: "mon", Services: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List = %+v, want %+v", got, want)
	}
	data, _ := json.Marshal(got[0])
	if string(data) != `{"name":"demo","services":2}` {
		t.Errorf("JSON = %s", data)
	}
}

func TestServicesCarryTheEnginesCounts(t *testing.T) {
	job := watchService("migrate", 0, 0)
	total := uint64(3)
	job.Spec.Mode = swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{TotalCompletions: &total}}
	job.ServiceStatus = &swarm.ServiceStatus{CompletedTasks: 3}
	f := &watchManager{services: []swarm.Service{watchService("web", 2, 1), job, otherStack("prom")}}
	got, err := Services(context.Background(), f, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "demo_migrate" || got[1].Name != "demo_web" {
		t.Fatalf("Services = %+v", got)
	}
	if m := got[0]; !m.Job() || !m.AtDesired() || m.Counts() != "3/3 completed" {
		t.Errorf("job: %+v, at desired %v, %q", m, m.AtDesired(), m.Counts())
	}
	if w := got[1]; w.AtDesired() || w.Counts() != "1/2 running" || !w.UpdatedAt.Equal(w0) {
		t.Errorf("web: %+v", w)
	}
}

// Tasks reads like docker stack ps: by service and slot, the newest task
// of a slot first, on node hostnames, images without their digest.
func TestTasksLikeDockerStackPs(t *testing.T) {
	web, db := watchService("web", 2, 2), watchService("db", 1, 1)
	db.Spec.TaskTemplate.ContainerSpec.Image = "postgres@sha256:def"
	failed := watchTask(web, 1, "n2", w0, swarm.TaskStateFailed)
	failed.DesiredState = swarm.TaskStateShutdown
	failed.Status.Err = "task: non-zero exit (1)"
	f := &watchManager{
		services: []swarm.Service{web, db, otherStack("prom")},
		tasks: []swarm.Task{watchTask(web, 2, "n1", w0, swarm.TaskStateRunning), failed,
			watchTask(web, 1, "n1", w0.Add(time.Minute), swarm.TaskStateRunning), watchTask(db, 1, "n2", w0, swarm.TaskStateRunning)},
		nodes: []swarm.Node{watchNode("n1", "node1"), watchNode("n2", "node2")},
	}
	rows, err := Tasks(context.Background(), f, "demo")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join([]string{r.Name, r.Image, r.Node, r.DesiredState, r.CurrentState, r.Error}, " "))
	}
	want := []string{
		"demo_db.1 postgres@sha256:def node2 running running ",
		"demo_web.1 nginx:1 node1 running running ",
		"demo_web.1 nginx:1 node2 shutdown failed task: non-zero exit (1)",
		"demo_web.2 nginx:1 node1 running running ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Tasks(context.Background(), f, "nope"); err == nil || !strings.Contains(err.Error(), "no stack nope") {
		t.Errorf("a missing stack: %v", err)
	}
}
