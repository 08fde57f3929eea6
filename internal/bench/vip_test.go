package bench

import (
	"testing"
	"time"
)

// The outage runs from the last good probe before the first failure to the
// first good one after it, by when the probes started; failures long
// before the fault (a hiccup) do not count.
func TestWaitOutage(t *testing.T) {
	base := time.Now().Add(-10 * time.Second)
	p := &prober{}
	add := func(ms int, ok bool) {
		p.results = append(p.results, probeResult{base.Add(time.Duration(ms) * time.Millisecond), ok})
	}
	add(0, false) // hiccup well before the fault
	for ms := 20; ms <= 2000; ms += 20 {
		add(ms, ms < 1000 || ms >= 1480)
	}
	got, ok := p.waitOutage(base.Add(990*time.Millisecond), time.Second)
	if !ok || got != 500*time.Millisecond {
		t.Fatalf("outage %s (%v), want 500ms", got, ok)
	}
	if m := median([]time.Duration{3, 1, 2}); m != 2 {
		t.Fatalf("median %d", m)
	}
}
