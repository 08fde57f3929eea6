package config

import "testing"

func TestHostHelpers(t *testing.T) {
	c := &Cluster{Hosts: []Host{
		{Name: "w1", Role: RoleWorker},
		{Name: "m1"}, // empty role means manager, even before defaults
		{Name: "m2", Role: RoleManager},
	}}
	if ms := c.Managers(); len(ms) != 2 || ms[0].Name != "m1" || ms[1].Name != "m2" {
		t.Errorf("Managers = %+v", ms)
	}
	if ws := c.Workers(); len(ws) != 1 || ws[0].Name != "w1" {
		t.Errorf("Workers = %+v", ws)
	}
	if fm := c.FirstManager(); fm.Name != "m1" {
		t.Errorf("FirstManager = %+v", fm)
	}
	if h, ok := c.HostByName("m2"); !ok || h.Name != "m2" {
		t.Errorf("HostByName(m2) = %+v, %v", h, ok)
	}
	if _, ok := c.HostByName("nope"); ok {
		t.Error("HostByName(nope) found something")
	}
	if fm := (&Cluster{}).FirstManager(); fm.Name != "" {
		t.Errorf("FirstManager of empty cluster = %+v", fm)
	}
}
