package vip

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the rendered output:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func labParams() Params {
	return Params{Cluster: "lab", Host: "node2", Interface: "eth0", SourceIP: "10.213.0.12",
		Peers: []string{"10.213.0.11", "10.213.0.13"}, Address: "10.213.0.250", RouterID: 51,
		Priority: Priority(1), Advert: 100 * time.Millisecond, Version: 3}
}

func TestRenderGolden(t *testing.T) {
	for name, p := range map[string]Params{
		"node2-v3": labParams(),
		"node1-v3-ens3": func() Params {
			p := labParams()
			p.Host, p.SourceIP, p.Peers, p.Priority = "node1", "10.213.0.11", []string{"10.213.0.12", "10.213.0.13"}, Priority(0)
			p.Advert, p.RouterID, p.Interface = 250*time.Millisecond, 7, "ens3"
			return p
		}(),
		"node2-stock-v2": Stock(labParams()),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Render(p)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".conf", out)
		})
	}
}

func TestRenderRefusesImpossible(t *testing.T) {
	for what, mut := range map[string]func(*Params){
		"version 4":           func(p *Params) { p.Version = 4 },
		"priority 255":        func(p *Params) { p.Priority = 255 },
		"v2 sub-second":       func(p *Params) { p.Version = 2 },
		"advert below 10ms":   func(p *Params) { p.Advert = time.Millisecond },
		"priority 0 (worker)": func(p *Params) { p.Priority = 0 },
	} {
		p := labParams()
		mut(&p)
		if _, err := Render(p); err == nil {
			t.Errorf("%s: rendered", what)
		}
	}
}

// The priority rules the comments promise, for the largest cluster allowed.
func TestPriorityOrdering(t *testing.T) {
	last := Priority(MaxHosts - 1)
	if Priority(0)+MasterBonus > 254 || last-CheckWeight < 1 {
		t.Fatalf("priorities leave VRRP's 1..254: %d..%d", last-CheckWeight, Priority(0)+MasterBonus)
	}
	// A healthy backup of any rank beats a holder whose check fails.
	if !(last > Priority(0)+MasterBonus-CheckWeight) {
		t.Error("a failing holder keeps the VIP against a healthy backup")
	}
	// A healthy holder of any rank is not preempted by a recovered first manager.
	if !(last+MasterBonus > Priority(0)) {
		t.Error("a recovered first manager takes the VIP back")
	}
	// With every check failing, the holder keeps the VIP.
	if !(last+MasterBonus-CheckWeight > Priority(0)-CheckWeight) {
		t.Error("with every check failing the VIP moves")
	}
}

func TestSecs(t *testing.T) {
	for d, want := range map[time.Duration]string{100 * time.Millisecond: "0.1", time.Second: "1", 250 * time.Millisecond: "0.25", 1500 * time.Millisecond: "1.5"} {
		if got := secs(d); got != want {
			t.Errorf("secs(%s) = %s, want %s", d, got, want)
		}
	}
}

// The config names the agent's files, and keepalived runs no script.
func TestRenderTracksAgentFiles(t *testing.T) {
	out, err := Render(labParams())
	if err != nil {
		t.Fatal(err)
	}
	conf := string(out)
	for _, want := range []string{"file " + CheckFile, "weight -100", "file " + MasterFile, "weight 50", "vrrp_notify_fifo " + NotifyFIFO} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q", want)
		}
	}
	// keepalived's own real-time setting kills its VRRP process after a
	// reload on hosts without CAP_SYS_RESOURCE; the agent sets it instead.
	for _, banned := range []string{"script ", "vrrp_script", "track_script", "notify ", "vrrp_rt_priority", "vrrp_rlimit_rttime"} {
		for _, l := range strings.Split(conf, "\n") {
			if l = strings.TrimSpace(l); !strings.HasPrefix(l, "#") && strings.HasPrefix(l, banned) {
				t.Errorf("config runs a script: %q", l)
			}
		}
	}
}
