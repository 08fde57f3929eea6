package bench

import (
	"bufio"
	"strings"
	"testing"
)

// Recorded from this kind of machine (2 CPUs).
const procStatText = `cpu  1000 50 500 8000 200 10 20 0 30 0
cpu0 500 25 250 4000 100 5 10 0 15 0
cpu1 500 25 250 4000 100 5 10 0 15 0
intr 12345
ctxt 67890
processes 4242
procs_running 2
`

func TestParseStat(t *testing.T) {
	s, err := parseStat(bufio.NewScanner(strings.NewReader(procStatText)))
	if err != nil {
		t.Fatal(err)
	}
	// guest (30) is already in user: not counted twice.
	if s.total != 9780 || s.idle != 8200 || s.cores != 2 || s.procs != 4242 {
		t.Fatalf("%+v", s)
	}
	if _, err := parseStat(bufio.NewScanner(strings.NewReader("processes 1\n"))); err == nil {
		t.Fatal("no cpu line parsed")
	}
}

func TestUsageFile(t *testing.T) {
	v1 := "12:perf_event:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n"
	if got := usageFile(v1); !strings.HasSuffix(got, "/docker/abc/cpuacct.usage") {
		t.Errorf("v1: %s", got)
	}
	if got := usageFile("0::/system.slice/docker-abc.scope\n"); got != "/sys/fs/cgroup/system.slice/docker-abc.scope/cpu.stat" {
		t.Errorf("v2: %s", got)
	}
}
