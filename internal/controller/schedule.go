package controller

import (
	"fmt"
	"time"
)

// Attempt is one order the controller placed, kept for rate limits.
type Attempt struct {
	Key string    `json:"names"` // NameSet.Key()
	At  time.Time `json:"at"`
	OK  bool      `json:"ok"`
	Err string    `json:"error,omitempty"`
}

// Limits keep the controller inside the CA's rate limits. The defaults sit
// below Let's Encrypt's published limits, counted from the controller's own
// order history (kept on skep's own volume, so a restart does not forget):
//
//   - 5 failed validations per hostname per hour: at most 3 failed orders
//     per name set per hour, and consecutive failures back off from 1 min
//     doubling to 1 h;
//   - 300 new orders per account per 3 hours: at most 250;
//   - 5 certificates for the exact same names per week: at most 4 (with
//     renewal 30 days before expiry of a 90-day certificate, one is needed
//     every 60 days);
//   - 50 certificates per registered domain per week is far above what one
//     cluster's names need, and is not tracked.
type Limits struct {
	FirstBackoff, MaxBackoff time.Duration
	FailuresPerHour          int
	OrdersPer3Hours          int
	IssuedPerWeek            int
}

// DefaultLimits are the Let's Encrypt-safe limits above.
var DefaultLimits = Limits{
	FirstBackoff:    time.Minute,
	MaxBackoff:      time.Hour,
	FailuresPerHour: 3,
	OrdersPer3Hours: 250,
	IssuedPerWeek:   4,
}

// historyKept is how far back the history must reach for every limit.
const historyKept = 7 * 24 * time.Hour

// prune drops attempts older than any limit looks at.
func prune(h []Attempt, now time.Time) []Attempt {
	var out []Attempt
	for _, a := range h {
		if now.Sub(a.At) < historyKept {
			out = append(out, a)
		}
	}
	return out
}

// NextOrder is the earliest time an order for key may be placed given the
// history (oldest first), and why it must wait; a time not after now means
// it may go now.
func (l Limits) NextOrder(key string, h []Attempt, now time.Time) (time.Time, string) {
	next, why := time.Time{}, ""
	later := func(t time.Time, reason string) {
		if t.After(next) {
			next, why = t, reason
		}
	}

	// Consecutive failures since the last success.
	fails := 0
	var lastFail time.Time
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key != key {
			continue
		}
		if h[i].OK {
			break
		}
		if fails == 0 {
			lastFail = h[i].At
		}
		fails++
	}
	if fails > 0 {
		d := l.FirstBackoff
		for i := 1; i < fails && d < l.MaxBackoff; i++ {
			d *= 2
		}
		d = min(d, l.MaxBackoff)
		later(lastFail.Add(d), fmt.Sprintf("backing off %s after %d failed order(s)", d, fails))
	}

	// Sliding windows: the window frees up when its oldest entry leaves.
	window := func(d time.Duration, max int, match func(Attempt) bool, reason string) {
		var in []time.Time
		for _, a := range h {
			if now.Sub(a.At) < d && match(a) {
				in = append(in, a.At)
			}
		}
		if max > 0 && len(in) >= max {
			later(in[len(in)-max].Add(d), reason)
		}
	}
	window(time.Hour, l.FailuresPerHour, func(a Attempt) bool { return a.Key == key && !a.OK },
		fmt.Sprintf("%d failed orders in the last hour (Let's Encrypt allows 5 failed validations per name per hour)", l.FailuresPerHour))
	window(3*time.Hour, l.OrdersPer3Hours, func(Attempt) bool { return true },
		fmt.Sprintf("%d orders in the last 3 hours (Let's Encrypt allows 300 per account)", l.OrdersPer3Hours))
	window(7*24*time.Hour, l.IssuedPerWeek, func(a Attempt) bool { return a.Key == key && a.OK },
		fmt.Sprintf("%d certificates for these names in the last week (Let's Encrypt allows 5)", l.IssuedPerWeek))
	return next, why
}
