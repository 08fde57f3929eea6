// Package poll is the one way skep waits for a condition: every wait
// honours the context, checks at a fixed interval, gives up after a
// deadline and then says what it last saw, so a timeout is never a bare
// "timed out".
package poll

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Stop marks an error that ends the wait at once: one that trying again
// cannot cure (a paused service update, a refused request). Until returns
// it unwrapped.
func Stop(err error) error {
	if err == nil {
		return nil
	}
	return &stopError{err}
}

type stopError struct{ err error }

func (s *stopError) Error() string { return s.err.Error() }
func (s *stopError) Unwrap() error { return s.err }

// TimeoutError is what Until returns when the deadline passed: what was
// awaited, for how long, and the check's last error (its cause).
type TimeoutError struct {
	What   string
	Within time.Duration
	Last   error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: not within %s: %v", e.What, e.Within, e.Last)
}

func (e *TimeoutError) Unwrap() error { return e.Last }

// Until calls check at once, then every interval, until it returns nil.
// It returns ctx's error when ctx ends first, an error marked with Stop
// as soon as check returns one, and a *TimeoutError naming what and
// check's last error when within has passed since the start. Check is
// always tried at least once, also when within is not positive.
func Until(ctx context.Context, what string, every, within time.Duration, check func(ctx context.Context) error) error {
	deadline := time.Now().Add(within)
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		var stop *stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !time.Now().Before(deadline) {
			return &TimeoutError{What: what, Within: within, Last: err}
		}
		if err := Sleep(ctx, every); err != nil {
			return err
		}
	}
}

// Sleep waits d, or less when ctx ends first (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
