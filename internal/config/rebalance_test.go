package config

import (
	"testing"
	"time"
)

// Off unless the file says auto: true; after defaults to a minute.
func TestAutoRebalance(t *testing.T) {
	on, err := Load("testdata/valid/rebalance.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if after, ok := on.AutoRebalance(); !ok || after != time.Minute || on.Swarm.Rebalance.After != DefaultRebalanceAfter {
		t.Errorf("auto: true without after: %v %v (after %q)", after, ok, on.Swarm.Rebalance.After)
	}
	off, err := Load("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := off.AutoRebalance(); ok || off.Swarm.Rebalance != nil {
		t.Errorf("a file without swarm.rebalance rebalances by itself")
	}
	off.Swarm.Rebalance = &Rebalance{After: "2m"}
	if _, ok := off.AutoRebalance(); ok {
		t.Error("after without auto turned it on")
	}
	off.Swarm.Rebalance.Auto = true
	if after, ok := off.AutoRebalance(); !ok || after != 2*time.Minute {
		t.Errorf("after 2m: %v %v", after, ok)
	}
}
