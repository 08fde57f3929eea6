package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// Outage polling: one request every outagePoll, each given requestWait;
// polling ends afterRecovery after the first answer past the fault (so a
// second gap, Traefik dropping the new task a moment later, still counts)
// or at outageWithin, whichever comes first: bounded in count and time.
const (
	outagePoll    = 100 * time.Millisecond
	requestWait   = time.Second
	afterRecovery = 5 * time.Second
	outageWithin  = 4 * time.Minute
)

// countAnswer reads the counter example's answer, "count N from HOST".
var countAnswer = regexp.MustCompile(`count (\d+) from (\S+)`)

// sample is one request to the app: when it started, whether it answered
// 200 with a count, and the count.
type sample struct {
	at    time.Time
	ok    bool
	count int64
	fault bool // the first request after the fault (failover cells)
}

// ask sends one GET and reads the count from a 200.
func ask(ctx context.Context, c *http.Client, url string) sample {
	s := sample{at: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s
	}
	resp, err := c.Do(req)
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	m := countAnswer.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return s
	}
	s.count, _ = strconv.ParseInt(string(m[1]), 10, 64)
	s.ok = true
	return s
}

// sampleAround polls url every outagePoll: first until a few good answers
// make a baseline, then calls fault and goes on until it has seen an
// answer after a failure plus afterRecovery, or outageWithin passes. The
// samples are in order; a request runs alone, so none overlap.
func sampleAround(ctx context.Context, c *http.Client, url string, fault func() error) ([]sample, error) {
	var got []sample
	poll := func(until func() bool, limit time.Duration) error {
		end := time.Now().Add(limit)
		for time.Now().Before(end) && !until() {
			s := ask(ctx, c, url)
			got = append(got, s)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Until(s.at.Add(outagePoll))):
			}
		}
		return nil
	}
	goodInARow := func(n int) func() bool {
		return func() bool {
			if len(got) < n {
				return false
			}
			for _, s := range got[len(got)-n:] {
				if !s.ok {
					return false
				}
			}
			return true
		}
	}
	if err := poll(goodInARow(5), time.Minute); err != nil {
		return got, err
	}
	if !goodInARow(5)() {
		return got, fmt.Errorf("%s did not answer 5 times in a row before the fault", url)
	}
	faultAt := len(got)
	if err := fault(); err != nil {
		return got, err
	}
	recovered := func() bool {
		failed := false
		for _, s := range got[faultAt:] {
			if !s.ok {
				failed = true
			} else if failed {
				return time.Since(s.at) >= afterRecovery
			}
		}
		return false
	}
	return got, poll(recovered, outageWithin)
}

// outage is what the samples show: the longest time between two
// consecutive 200s (by when their requests started), the counts either
// side of it, and whether the count ever went back or stood still (an
// acknowledged increment lost).
type outage struct {
	gap           time.Duration
	before, after int64 // the counts either side of the longest gap
	lost          bool  // a later 200 answered a count not above an earlier one
	recovered     bool  // a 200 came after the last failure
}

func analyze(ss []sample) outage {
	var o outage
	var prev *sample
	failedSince := false
	for i := range ss {
		s := &ss[i]
		if !s.ok {
			failedSince = true
			continue
		}
		if prev != nil {
			if gap := s.at.Sub(prev.at); gap > o.gap {
				o.gap, o.before, o.after = gap, prev.count, s.count
			}
			if s.count <= prev.count {
				o.lost = true
			}
		}
		prev, failedSince = s, false
	}
	o.recovered = prev != nil && !failedSince
	return o
}

// String says the outage in a row's words.
func (o outage) String() string {
	if !o.recovered {
		return fmt.Sprintf("no answer again within %s", outageWithin)
	}
	kept := "count went on"
	if o.lost {
		kept = "count LOST"
	}
	return fmt.Sprintf("%s (%s: %d before, %d after)", millis(o.gap), kept, o.before, o.after)
}
