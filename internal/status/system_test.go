package status

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"skep/internal/config"
	"skep/internal/storage"
)

// systemFindings judges skep's own volume alone: node1 asked GlusterFS,
// node1-3 are managers, node4 a worker.
func systemFindings(c *config.Cluster, hosts ...HostFacts) *findings {
	fd := &findings{}
	buildSystem(Facts{Cluster: "skep", File: c, Hosts: hosts}, fd)
	return fd
}

func TestSystemVolume(t *testing.T) {
	c := storageCluster()
	c.Hosts = append(c.Hosts, config.Host{Name: "node4", Address: addr(4), Role: config.RoleWorker})
	host := func(i int, sf *storage.HostFacts) HostFacts {
		h := up(i, i < 4)
		h.Storage = &storage.HostFacts{Answered: map[string]bool{}, System: sf}
		return h
	}
	asker := brickHost(c, 1).System
	worker := host(4, nil) // never asked about the system mount

	fd := systemFindings(c, host(1, asker), host(2, systemMounted()), host(3, systemMounted()), worker)
	if len(fd.problems)+len(fd.unknown) > 0 {
		t.Fatalf("healthy: problems %q unknown %q", fd.problems, fd.unknown)
	}

	// Faults: a brick offline, a manager without the mount, one whose
	// mount does not answer.
	down := brickHost(c, 1).System
	unmounted := &storage.HostFacts{Answered: map[string]bool{"mount": true, "mount_ok": true, "brick_process": true}}
	stalled := systemMounted()
	stalled.MountOK = false
	fd = systemFindings(c, host(1, down), host(2, unmounted), host(3, stalled), worker)
	want := []string{
		"storage: node2: /var/lib/skep-system (skep's own volume skep-data-system) is not mounted; run skep apply",
		"storage: node3: /var/lib/skep-system (skep's own volume skep-data-system) is mounted but does not answer",
		"storage: node2: brick of skep's own volume skep-data-system offline (its brick process does not run); run skep apply (it starts missing bricks)",
	}
	if !reflect.DeepEqual(fd.problems, want) || len(fd.unknown) > 0 {
		t.Fatalf("problems:\n%s\nunknown %q", strings.Join(fd.problems, "\n"), fd.unknown)
	}

	// Unanswered: not known, not a problem.
	silent := systemMounted()
	silent.Answered["volstatus"], silent.BricksErr = true, &storage.NoAnswer{After: "0s (no time left)"}
	cut := host(3, nil)
	cut.StorageErr = &storage.NoAnswer{After: "3s"}
	fd = systemFindings(c, host(1, silent), host(2, systemMounted()), cut, worker)
	want = []string{
		"storage: node3: mount of /var/lib/skep-system not known (no answer in 3s)",
		"storage: node3: brick of skep's own volume skep-data-system not known (no answer in time)",
	}
	if len(fd.problems) > 0 || !reflect.DeepEqual(fd.unknown, want) {
		t.Fatalf("problems %q\nunknown:\n%s", fd.problems, strings.Join(fd.unknown, "\n"))
	}

	// Without storage there is no system volume.
	if fd := systemFindings(&config.Cluster{}, host(1, nil)); len(fd.problems)+len(fd.unknown) > 0 {
		t.Fatalf("no storage: %+v", fd)
	}
}

// The system mount is asked of managers, in their one script; the volume
// status of skep's own volume by the host that asks GlusterFS, in its one
// docker exec, after the user volume's questions.
func TestSystemQuestionsInTheHostScript(t *testing.T) {
	c := fullCluster()
	c.Hosts = append(c.Hosts, config.Host{Name: "node4", Address: addr(4), Role: config.RoleWorker})
	mgr, wrk := newProbe(c, c.Hosts[0], 0), newProbe(c, c.Hosts[3], 0)
	if !mgr.system || wrk.system {
		t.Fatalf("manager asked %v, worker asked %v", mgr.system, wrk.system)
	}
	q := storage.Questions{Brick: true, Gluster: true, VolumeStatus: true, Heal: true, SystemStatus: true, SystemMount: true}
	s := hostScript(c, c.Hosts[0], q, true, true, false)
	heal, sys := strings.Index(s, "volume heal skep-data"), strings.Index(s, "volume status skep-data-system")
	if n := strings.Count(s, "docker exec"); n != 1 || heal < 0 || sys < heal || !strings.Contains(s, "--mountpoint '/var/lib/skep-system'") {
		t.Errorf("%d docker execs:\n%s", n, s)
	}
	if s := hostScript(c, c.Hosts[3], storage.Questions{}, false, false, false); strings.Contains(s, "skep-system") {
		t.Errorf("a worker asked about the system volume:\n%s", s)
	}
}

// A fallback's answer about skep's own volume counts like the asker's.
func TestMergeClusterWideSystemStatus(t *testing.T) {
	f := storage.ParseFacts("@@skep container\nrunning|i|h\n")
	wide := storage.ParseFacts("@@skep volstatus\n<cliOutput><opRet>0</opRet></cliOutput>\n@@skep system_volstatus\n<cliOutput><opRet>-1</opRet><opErrstr>busy</opErrstr></cliOutput>\n")
	mergeClusterWide(f, wide)
	if f.System == nil || !f.System.Answered["volstatus"] || f.System.BricksErr == nil || !errors.Is(f.System.BricksErr, wide.System.BricksErr) {
		t.Fatalf("merged %+v", f.System)
	}
}
