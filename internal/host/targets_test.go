package host

import (
	"testing"
	"time"

	"skep/internal/config"
)

func TestTargetsTakeDefaultsFromSSHSection(t *testing.T) {
	c := &config.Cluster{
		SSH:   config.SSH{User: "admin", Port: 2222, KeyFile: "/k", KnownHosts: "/kh"},
		Hosts: []config.Host{{Name: "node1", Address: "127.0.0.11"}, {Name: "node2", Address: "127.0.0.12", Port: 22, User: "root", KeyFile: "/k2"}},
	}
	c.ApplyDefaults()
	ts := Targets(c, false, time.Second)
	if ts[0].Port != 2222 || ts[0].User != "admin" || ts[0].KeyFile != "/k" || ts[0].KnownHosts != "/kh" || ts[0].AcceptNew || ts[0].DialTimeout != time.Second {
		t.Errorf("target 0 = %+v", ts[0])
	}
	if ts[1].Port != 22 || ts[1].User != "root" || ts[1].KeyFile != "/k2" {
		t.Errorf("target 1 = %+v", ts[1])
	}
}
