package config

import (
	"strings"
	"testing"
	"time"
)

func tuningFile(body string) []byte {
	return []byte(`name: t
hosts:
  - {name: node1, address: 127.0.0.1}
  - {name: node2, address: 127.0.0.2}
  - {name: node3, address: 127.0.0.3}
` + body)
}

// A file without a tuning section gets skep's values, written out by
// ApplyDefaults and read back by the accessors; a cluster built in code,
// before defaults, reads the same values.
func TestTuningDefaults(t *testing.T) {
	c, err := Parse(tuningFile(""), "")
	if err != nil {
		t.Fatal(err)
	}
	want := Tuning{DispatcherHeartbeat: "2s", RestartDelay: "0s", StoragePingTimeout: "4s", IngressRefresh: "2s"}
	if c.Tuning != want {
		t.Errorf("defaults %+v, want %+v", c.Tuning, want)
	}
	for _, tu := range []Tuning{c.Tuning, {}} {
		if tu.Heartbeat() != 2*time.Second || tu.Restart() != 0 || tu.StoragePing() != 4*time.Second || tu.IngressRefreshPeriod() != 2*time.Second {
			t.Errorf("%+v reads %s %s %s %s", tu, tu.Heartbeat(), tu.Restart(), tu.StoragePing(), tu.IngressRefreshPeriod())
		}
	}
	c, err = Parse(tuningFile("tuning:\n  dispatcher_heartbeat: 5s\n  restart_delay: 250ms\n  storage_ping_timeout: 10s\n  ingress_refresh: 1m\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if tu := c.Tuning; tu.Heartbeat() != 5*time.Second || tu.Restart() != 250*time.Millisecond || tu.StoragePing() != 10*time.Second || tu.IngressRefreshPeriod() != time.Minute {
		t.Errorf("file values not read: %+v", tu)
	}
}

// Each value is refused just outside its bounds and taken at them, at its
// own YAML path; the ping timeout only in whole seconds.
func TestTuningBounds(t *testing.T) {
	for _, tc := range []struct {
		field, value string
		ok           bool
	}{
		{"dispatcher_heartbeat", "499ms", false},
		{"dispatcher_heartbeat", "500ms", true},
		{"dispatcher_heartbeat", "60s", true},
		{"dispatcher_heartbeat", "60001ms", false},
		{"dispatcher_heartbeat", "fast", false},
		{"restart_delay", "-1ns", false},
		{"restart_delay", "0s", true},
		{"restart_delay", "0", true},
		{"restart_delay", "10m", true},
		{"restart_delay", "10m1s", false},
		{"storage_ping_timeout", "999ms", false},
		{"storage_ping_timeout", "1s", true},
		{"storage_ping_timeout", "1013s", true},
		{"storage_ping_timeout", "1014s", false},
		{"storage_ping_timeout", "4500ms", false},
		{"storage_ping_timeout", "4", false},
		{"ingress_refresh", "499ms", false},
		{"ingress_refresh", "500ms", true},
		{"ingress_refresh", "10m", true},
		{"ingress_refresh", "601s", false},
	} {
		_, err := Parse(tuningFile("tuning:\n  "+tc.field+": "+tc.value+"\n"), "")
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %s refused: %v", tc.field, tc.value, err)
		case !tc.ok && err == nil:
			t.Errorf("%s: %s accepted", tc.field, tc.value)
		case !tc.ok && !strings.Contains(err.Error(), "line 7: tuning."+tc.field+": "):
			t.Errorf("%s: %s: problem not at its path and line: %v", tc.field, tc.value, err)
		}
	}
}

// The ping timeout has one place: storage.options may not set it, and the
// problem says where it goes.
func TestStorageOptionsRefuseTunedPingTimeout(t *testing.T) {
	_, err := Parse(tuningFile("storage:\n  options:\n    network.ping-timeout: \"5\"\n"), "")
	if err == nil {
		t.Fatal("storage.options network.ping-timeout accepted")
	}
	if msg := err.Error(); !strings.Contains(msg, `line 8: storage.options["network.ping-timeout"]: `) || !strings.Contains(msg, "tuning.storage_ping_timeout") {
		t.Fatalf("problem does not point to tuning.storage_ping_timeout: %v", err)
	}
	if strings.Contains(strings.Join(StorageOptionKeys, " "), "network.ping-timeout") {
		t.Error("network.ping-timeout is still listed as a storage option")
	}
}
