package vip

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestHealthFallRise(t *testing.T) {
	h := &health{up: true}
	// Fewer than CheckFall failures, then a pass: still up.
	for i := 0; i < CheckFall-1; i++ {
		if h.observe(false) {
			t.Fatalf("down after %d failures", i+1)
		}
	}
	if h.observe(true) || !h.up {
		t.Fatal("a pass between failures changed the state")
	}
	for i := 0; i < CheckFall; i++ {
		changed := h.observe(false)
		if changed != (i == CheckFall-1) {
			t.Fatalf("failure %d: changed %v", i+1, changed)
		}
	}
	if h.up {
		t.Fatal("still up after CheckFall failures")
	}
	for i := 0; i < CheckRise; i++ {
		changed := h.observe(true)
		if changed != (i == CheckRise-1) {
			t.Fatalf("pass %d: changed %v", i+1, changed)
		}
	}
	if !h.up {
		t.Fatal("still down after CheckRise passes")
	}
}

func TestParseNotify(t *testing.T) {
	for line, want := range map[string][2]bool{
		`INSTANCE "skep" MASTER 250`: {true, true},
		`INSTANCE "skep" BACKUP 199`: {false, true},
		`INSTANCE "skep" FAULT 0`:    {false, true},
		// Events of a master are not a change of state (keepalived 2.3).
		`INSTANCE "skep" MASTER_RX_LOWER_PRI 250`: {true, true},
		`INSTANCE "skep" MASTER_PRIORITY 150`:     {true, true},
		`INSTANCE "skep" BACKUP_PRIORITY 99`:      {false, true},
		`GROUP "g" MASTER`:                        {false, false},
		``:                                        {false, false},
	} {
		master, ok := parseNotify(line)
		if master != want[0] || ok != want[1] {
			t.Errorf("%q: master %v ok %v", line, master, ok)
		}
	}
}

// A /proc/PID/stat line of keepalived's VRRP process running SCHED_RR at
// priority 10 (the command name holds a space and a parenthesis).
const rrStat = "123 (keep alived)) S 1 123 123 0 -1 4194624 100 0 0 0 1 2 0 0 -11 0 1 0 500 10000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 10 2 0 0 0 0 0 0 0 0 0 0 0\n"

func TestParseScheduling(t *testing.T) {
	policy, prio, nice, err := parseScheduling(rrStat)
	if err != nil || policy != schedRR || prio != 10 || nice != 0 {
		t.Fatalf("policy %d prio %d nice %d err %v", policy, prio, nice, err)
	}
	if f := statFields(rrStat); f[1] != "1" {
		t.Fatalf("ppid field %q", f[1])
	}
	if _, _, _, err := parseScheduling("1 (x) S 0"); err == nil {
		t.Fatal("short line parsed")
	}
}

// fakeKeepalived stands in for keepalived: it reports MASTER on the notify
// FIFO, records the signals it gets and exits 3 on SIGTERM, or at once
// when $AGENT_DIR/crash exists.
const fakeKeepalived = `#!/bin/sh
trap 'echo hup >> "$AGENT_DIR/signals"' HUP
trap 'echo term >> "$AGENT_DIR/signals"; exit 3' TERM
[ -e "$AGENT_DIR/crash" ] && exit 4
echo 'INSTANCE "skep" MASTER 250' > "$AGENT_DIR/notify"
while :; do sleep 0.05; done
`

func TestAgent(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "keepalived")
	if err := os.WriteFile(prog, []byte(fakeKeepalived), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AGENT_DIR", dir)
	var failing atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("OK"))
	}))
	defer srv.Close()

	done := make(chan error, 1)
	go func() {
		done <- RunAgent(context.Background(), AgentOptions{Check: Check{Kind: "http", Target: srv.URL}, Keepalived: prog, Dir: dir,
			Logf: func(f string, a ...any) { t.Logf(f, a...) }})
	}()
	read := func(name string) string {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		return strings.TrimSpace(string(data))
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5s (check %q, master %q, signals %q)", what, read("check"), read("master"), read("signals"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("master file 1 from the FIFO", func() bool { return read("master") == "1" })
	if read("check") != "0" {
		t.Fatalf("check file %q while the service answers", read("check"))
	}
	start := time.Now()
	failing.Store(true)
	waitFor("check file 1 once the service fails", func() bool { return read("check") == "1" })
	if took := time.Since(start); took < time.Duration(CheckFall-1)*CheckInterval {
		t.Errorf("down after %s: fall not applied", took)
	}
	failing.Store(false)
	waitFor("check file 0 once it answers again", func() bool { return read("check") == "0" })

	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("SIGHUP passed on", func() bool { return read("signals") == "hup" })
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case err := <-done:
		// Stopped on request: keepalived's own exit status does not matter.
		if err != nil || read("signals") != "hup\nterm" {
			t.Fatalf("agent ended with %v, signals %q", err, read("signals"))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the agent did not end when keepalived exited")
	}
}

// keepalived dying by itself ends the agent with an error, so the
// container restarts both.
func TestAgentEndsWithKeepalived(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "keepalived")
	os.WriteFile(prog, []byte(fakeKeepalived), 0o755)
	os.WriteFile(filepath.Join(dir, "crash"), nil, 0o644)
	t.Setenv("AGENT_DIR", dir)
	err := RunAgent(context.Background(), AgentOptions{Check: Check{Kind: "docker", Target: filepath.Join(dir, "no.sock")}, Keepalived: prog, Dir: dir,
		Logf: func(f string, a ...any) { t.Logf(f, a...) }})
	if err == nil || !strings.Contains(err.Error(), "exit status 4") {
		t.Fatalf("agent ended with %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "check")); strings.TrimSpace(string(data)) != "1" {
		t.Fatalf("check file %q with no engine answering", data)
	}
}
