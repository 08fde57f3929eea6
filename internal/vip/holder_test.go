package vip

import "testing"

func TestHeldIn(t *testing.T) {
	out := "1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet 10.0.0.11/24 brd 10.0.0.255 scope global eth0\n2: eth0    inet 10.0.0.250/32 scope global eth0\n"
	if !HeldIn(out, "10.0.0.250") {
		t.Error("10.0.0.250 is held")
	}
	// A prefix of a held address, or the network's broadcast, is not.
	if HeldIn(out, "10.0.0.25") || HeldIn(out, "10.0.0.255") {
		t.Error("only whole interface addresses count")
	}
}
