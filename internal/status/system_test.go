package status

import (
	"errors"
	"strings"
	"testing"

	"skep/internal/config"
)

func TestSystemQuestionManagersOnly(t *testing.T) {
	c := &config.Cluster{Storage: &config.Storage{Volume: "skep-data", SystemMount: "/srv/skep"}}
	if got := systemQuestion(c, config.Host{Name: "node1", Role: config.RoleManager}); got != "/srv/skep" {
		t.Errorf("manager asked about %q", got)
	}
	if got := systemQuestion(c, config.Host{Name: "node4", Role: config.RoleWorker}); got != "" {
		t.Errorf("worker asked about %q", got)
	}
	if got := systemQuestion(&config.Cluster{}, config.Host{Name: "node1"}); got != "" {
		t.Errorf("no storage, asked about %q", got)
	}
}

func TestSystemMountProblems(t *testing.T) {
	c := &config.Cluster{Storage: &config.Storage{Volume: "skep-data", SystemMount: "/srv/skep"}}
	mounted := parseSystemAnswer("/srv/skep", "fs=fuse.glusterfs\nok\n")
	if !mounted.MountOK || mounted.MountFS != "fuse.glusterfs" {
		t.Fatalf("parsed %+v", mounted)
	}
	h1, h2, h3, h4 := up(1, true), up(2, true), up(3, true), up(4, false)
	h1.System = mounted
	h2.System = parseSystemAnswer("/srv/skep", "fs=\n")               // not mounted
	h3.System = parseSystemAnswer("/srv/skep", "fs=fuse.glusterfs\n") // stalled
	h4.System = nil                                                   // a worker is not asked
	f := Facts{Cluster: "skep", File: c, Hosts: []HostFacts{h1, h2, h3, h4}}
	got := strings.Join(buildSystem(f), "\n")
	want := "storage: node2: skep's own volume skep-data-system is not mounted at /srv/skep (the controller's state lives there); run skep apply\n" +
		"storage: node3: /srv/skep does not answer; run skep apply (it remounts)"
	if got != want {
		t.Fatalf("problems:\n%s\nwant:\n%s", got, want)
	}
	h2.System = &HostSystem{Mount: "/srv/skep", Err: errors.New("no answer in time")}
	f.Hosts = []HostFacts{h1, h2}
	if got := buildSystem(f); len(got) != 1 || !strings.Contains(got[0], "node2: skep's own volume at /srv/skep unknown (no answer in time)") {
		t.Fatalf("problems %v", got)
	}
	f.File = &config.Cluster{}
	if got := buildSystem(f); got != nil {
		t.Fatalf("no storage, problems %v", got)
	}
}
