package bench

import (
	"testing"
	"time"
)

func samples(step time.Duration, pattern ...int64) []sample {
	t0 := time.Unix(0, 0)
	var out []sample
	for i, c := range pattern {
		out = append(out, sample{at: t0.Add(time.Duration(i) * step), ok: c >= 0, count: c})
	}
	return out
}

func TestAnalyzeFindsTheLongestGapAndKeptCount(t *testing.T) {
	// -1 is a failed request: 3 fail after count 2, a request cut off by
	// the kill may have counted (3 is skipped), then the count goes on.
	o := analyze(samples(100*time.Millisecond, 1, 2, -1, -1, -1, 4, 5, -1, 6))
	if o.gap != 400*time.Millisecond || o.before != 2 || o.after != 4 {
		t.Errorf("gap %s between %d and %d, want 400ms between 2 and 4", o.gap, o.before, o.after)
	}
	if o.lost || !o.recovered {
		t.Errorf("lost %v recovered %v, want false true", o.lost, o.recovered)
	}
}

func TestAnalyzeSeesACountThatStartsOver(t *testing.T) {
	// docker's local volume: the new task on another node starts from 0.
	o := analyze(samples(100*time.Millisecond, 7, 8, -1, -1, 1, 2))
	if !o.lost {
		t.Error("a count that went from 8 to 1 was not seen as lost")
	}
	if o.after != 1 || o.before != 8 {
		t.Errorf("before %d after %d, want 8 and 1", o.before, o.after)
	}
}

func TestAnalyzeWithoutRecovery(t *testing.T) {
	if o := analyze(samples(100*time.Millisecond, 1, 2, -1, -1)); o.recovered {
		t.Error("samples ending in failures counted as recovered")
	}
}
