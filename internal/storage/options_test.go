package storage

import (
	"strings"
	"testing"

	"skep/internal/config"
)

// The ping timeout comes from the tuning section, in GlusterFS's whole
// seconds; the file's other options override skep's own.
func TestOptionsPingTimeoutFromTuning(t *testing.T) {
	get := func(opts []Option, key string) Option {
		for _, o := range opts {
			if o.Key == key {
				return o
			}
		}
		t.Fatalf("no option %s in %+v", key, opts)
		return Option{}
	}
	s := &config.Storage{Options: map[string]string{"cluster.heal-timeout": "30"}}
	opts := Options(s, config.Tuning{})
	if o := get(opts, PingTimeoutOption); o.Value != "4" || !strings.Contains(o.Why, "tuning.storage_ping_timeout") || !strings.Contains(o.Why, "~4-8 s") {
		t.Errorf("default ping timeout %+v", o)
	}
	if o := get(opts, "cluster.heal-timeout"); o.Value != "30" {
		t.Errorf("file's option lost: %+v", o)
	}
	if o := get(Options(s, config.Tuning{StoragePingTimeout: "2m"}), PingTimeoutOption); o.Value != "120" {
		t.Errorf("ping timeout 2m set as %q, want 120 (seconds)", o.Value)
	}
	for i := 1; i < len(opts); i++ {
		if opts[i-1].Key >= opts[i].Key {
			t.Fatalf("options not in key order: %+v", opts)
		}
	}
	if StockOptions[PingTimeoutOption] != "42" {
		t.Errorf("stock ping timeout %q", StockOptions[PingTimeoutOption])
	}
}
