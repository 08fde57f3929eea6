package tuning

import (
	"strings"
	"testing"

	"skep/internal/config"
)

func names(ss []Setting) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return strings.Join(out, " ")
}

// The list holds the values in effect (skep's defaults, or the file's),
// beside the stock ones, and a setting only for a component the file runs.
func TestOf(t *testing.T) {
	c, err := config.Parse([]byte(`name: t
hosts:
  - {name: node1, address: 127.0.0.1}
  - {name: node2, address: 127.0.0.2}
  - {name: node3, address: 127.0.0.3}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(Of(c)); got != "tuning.dispatcher_heartbeat tuning.restart_delay" {
		t.Errorf("without storage, vip and ingress: %s", got)
	}
	c.Storage, c.Ingress, c.VIP = &config.Storage{}, &config.Ingress{}, &config.VIP{Address: "192.0.2.250"}
	c.ApplyDefaults()
	got := Of(c)
	want := []Setting{
		{Name: "tuning.dispatcher_heartbeat", Value: "2s", Stock: "5s"},
		{Name: "tuning.restart_delay", Value: "0s", Stock: "5s"},
		{Name: "tuning.storage_ping_timeout", Value: "4s", Stock: "42s"},
		{Name: "vip.advert_interval", Value: "100ms", Stock: "1s"},
		{Name: "tuning.ingress_refresh", Value: "2s", Stock: "15s"},
	}
	if len(got) != len(want) {
		t.Fatalf("settings %s", names(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.Name || g.Value != w.Value || g.Stock != w.Stock {
			t.Errorf("setting %d = %s %s (stock %s), want %s %s (stock %s)", i, g.Name, g.Value, g.Stock, w.Name, w.Value, w.Stock)
		}
		// One line: what it gains against stock, then what it costs.
		if strings.Contains(g.Reason, "\n") || !strings.Contains(g.Reason, "not ") || !strings.Contains(g.Reason, "; ") {
			t.Errorf("%s: reason %q", g.Name, g.Reason)
		}
	}
	if s := got[0].String(); !strings.HasPrefix(s, "tuning.dispatcher_heartbeat 2s (stock 5s): a node that stops answering is marked down") ||
		!strings.Contains(s, "~6s") || !strings.Contains(s, "~15s") {
		t.Errorf("line %q", s)
	}

	c.Tuning.DispatcherHeartbeat, c.Tuning.StoragePingTimeout, c.VIP.AdvertInterval = "2s", "10s", "200ms"
	got = Of(c)
	if got[0].Value != "2s" || !strings.Contains(got[0].Reason, "~6s") || got[2].Value != "10s" || !strings.Contains(got[2].Reason, "~10s-20s") || got[3].Value != "200ms" {
		t.Errorf("the file's values are not the ones listed: %+v", got)
	}
}
