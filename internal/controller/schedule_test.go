package controller

import (
	"strings"
	"testing"
	"time"
)

func TestNextOrder(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	l := DefaultLimits
	cases := []struct {
		name    string
		h       []Attempt
		next    time.Time // zero: may go now
		because string
	}{
		{name: "first order goes at once"},
		{name: "one failure backs off a minute",
			h:    []Attempt{{Key: "a", At: ago(10 * time.Second)}},
			next: ago(10 * time.Second).Add(time.Minute), because: "backing off 1m0s"},
		{name: "backoff doubles",
			h:    []Attempt{{Key: "a", At: ago(50 * time.Minute)}, {Key: "a", At: ago(49 * time.Minute)}},
			next: ago(49 * time.Minute).Add(2 * time.Minute)},
		{name: "a success resets the backoff",
			h: []Attempt{{Key: "a", At: ago(2 * time.Hour)}, {Key: "a", At: ago(90 * time.Minute), OK: true}}},
		{name: "other names do not count",
			h: []Attempt{{Key: "b", At: ago(time.Second)}}},
		{name: "backoff is capped at an hour",
			h: func() []Attempt {
				var h []Attempt
				for i := 10; i > 0; i-- {
					h = append(h, Attempt{Key: "a", At: ago(time.Duration(i) * 24 * time.Hour)})
				}
				return h
			}(),
		},
		{name: "three failures in an hour wait for the window",
			h: []Attempt{{Key: "a", At: ago(50 * time.Minute)}, {Key: "a", At: ago(40 * time.Minute), OK: true},
				{Key: "a", At: ago(30 * time.Minute)}, {Key: "a", At: ago(20 * time.Minute), OK: true}, {Key: "a", At: ago(10 * time.Minute)}},
			next: ago(50 * time.Minute).Add(time.Hour), because: "failed orders in the last hour"},
		{name: "four issued in a week wait for the oldest to leave",
			h: []Attempt{{Key: "a", At: ago(6 * 24 * time.Hour), OK: true}, {Key: "a", At: ago(5 * 24 * time.Hour), OK: true},
				{Key: "a", At: ago(4 * 24 * time.Hour), OK: true}, {Key: "a", At: ago(3 * 24 * time.Hour), OK: true}},
			next: ago(6 * 24 * time.Hour).Add(7 * 24 * time.Hour), because: "last week"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, why := l.NextOrder("a", c.h, now)
			if c.next.IsZero() {
				if next.After(now) {
					t.Fatalf("must wait until %s (%s), want at once", next, why)
				}
				return
			}
			if !next.Equal(c.next) {
				t.Fatalf("next %s (%s), want %s", next, why, c.next)
			}
			if !strings.Contains(why, c.because) {
				t.Fatalf("reason %q lacks %q", why, c.because)
			}
		})
	}
}

func TestAccountWideLimit(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var h []Attempt
	for i := 0; i < 250; i++ {
		h = append(h, Attempt{Key: "other", At: now.Add(-2*time.Hour + time.Duration(i)*time.Second), OK: true})
	}
	next, why := DefaultLimits.NextOrder("a", h, now)
	if want := h[0].At.Add(3 * time.Hour); !next.Equal(want) {
		t.Fatalf("next %s (%s), want %s", next, why, want)
	}
	if got := prune(append(h, Attempt{Key: "old", At: now.Add(-8 * 24 * time.Hour)}), now); len(got) != 250 {
		t.Fatalf("prune kept %d, want 250", len(got))
	}
}
