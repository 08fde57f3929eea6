package status

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"skep/internal/config"
	"skep/internal/storage"
)

func fullCluster() *config.Cluster {
	c := storageCluster()
	c.VIP = &config.VIP{Address: "127.0.0.250"}
	c.ACME = &config.ACME{Email: "admin@example.com"}
	c.Ingress = &config.Ingress{}
	c.ApplyDefaults()
	return c
}

// Everything status asks a host is one script with at most one docker exec.
func TestHostScriptOneRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	c := fullCluster()
	for _, q := range []storage.Questions{{Brick: true, Gluster: true}, {Brick: true, Gluster: true, VolumeStatus: true, Heal: true}} {
		s := hostScript(c, c.Hosts[0], q, true, true, false)
		if out, err := exec.Command("sh", "-n", "-c", s).CombinedOutput(); err != nil {
			t.Fatalf("sh -n: %v\n%s\n%s", err, out, s)
		}
		if n := strings.Count(s, "docker exec"); n != 1 {
			t.Errorf("%d docker execs", n)
		}
		for _, want := range []string{"@@skep addrs", "@@skep controller_status", "@@skep end", "timeout -k 0.2 1.5 sh -c 'if [ -f /var/lib/skep-system/controller/status.json ]"} {
			if !strings.Contains(s, want) {
				t.Errorf("script lacks %q", want)
			}
		}
		if strings.Contains(s, "volume status") != q.VolumeStatus {
			t.Errorf("%+v: volume status asked: %v", q, !q.VolumeStatus)
		}
	}
	if s := hostScript(c, c.Hosts[1], storage.Questions{Brick: true}, true, true, false); strings.Contains(s, "docker exec") || strings.Contains(s, "gluster --mode") || !strings.Contains(s, "pgrep") {
		t.Errorf("a host that does not ask GlusterFS runs its CLI:\n%s", s)
	}
	noStorage := fullCluster()
	noStorage.Storage = nil
	if s := hostScript(noStorage, noStorage.Hosts[0], storage.Questions{}, true, false, false); strings.Contains(s, "docker") || !strings.HasSuffix(s, "echo '@@skep end'\n") {
		t.Errorf("without storage:\n%s", s)
	}
	if s := hostScript(noStorage, noStorage.Hosts[0], storage.Questions{}, false, false, false); s != "" {
		t.Errorf("nothing to ask, yet a script:\n%s", s)
	}
}

// A script cut off by the deadline tells what it answered so far; the rest
// is not known.
func TestScriptAnswerCutOff(t *testing.T) {
	c := fullCluster()
	p := newProbe(c, c.Hosts[0], 0)
	p.vip = "127.0.0.250"
	p.out = &stream{}
	p.out.Write([]byte("@@skep container\nrunning|img|h\n@@skep mount\nfuse.glusterfs\n@@skep brick_process\nyes\n" +
		"@@skep addrs\n2: eth0    inet 127.0.0.250/32 scope global eth0\n@@skep controller_stat"))
	running := true
	p.keepalived = &running
	silent := &storage.NoAnswer{After: "3s"}
	a := p.scriptAnswer(silent)
	if a.err != silent || a.storage == nil || !a.storage.Answered["mount"] || a.storage.Answered["mount_ok"] {
		t.Fatalf("answer %+v", a)
	}
	if v := p.vipAnswer(a, silent); v.Err != nil || !v.Holds || !v.Running {
		t.Errorf("vip %+v", v)
	}
	if cs := a.certificates("/var/lib/skep-system/controller/status.json"); !notAnswered(cs.Err) {
		t.Errorf("certificates %+v, want not known", cs)
	}

	p.out.finish(fmt.Errorf("node1: d=$(mktemp -d)...: %w", context.DeadlineExceeded))
	if a := p.scriptAnswer(silent); a.err != silent {
		t.Errorf("a script cut by the deadline: %v", a.err)
	}
	p.out = &stream{}
	p.out.finish(errors.New("Process exited with status 1"))
	if a := p.scriptAnswer(silent); a.err == nil || notAnswered(a.err) {
		t.Errorf("a failed script: %v", a.err)
	}
}

func TestScriptAnswerCertificates(t *testing.T) {
	for out, check := range map[string]func(*HostCertificates) bool{
		"missing\n":                          func(h *HostCertificates) bool { return h.Missing && h.Err == nil },
		"skep: no answer in 1.5s\n":          func(h *HostCertificates) bool { return notAnswered(h.Err) },
		`{"updated":"2026-01-01T00:00:00Z"}`: func(h *HostCertificates) bool { return h.Status != nil && h.Err == nil },
	} {
		a := scriptAnswer{sections: map[string]string{"controller_status": out}}
		if hc := a.certificates("/var/lib/skep-system/controller/status.json"); !check(hc) {
			t.Errorf("%q: %+v", out, hc)
		}
	}
}
