package poll

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUntilSucceedsAfterRetries(t *testing.T) {
	n := 0
	err := Until(context.Background(), "thing", time.Millisecond, time.Second, func(context.Context) error {
		n++
		if n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("err %v after %d checks, want nil after 3", err, n)
	}
}

func TestUntilTimeoutKeepsLastError(t *testing.T) {
	cause := errors.New("state down")
	n := 0
	err := Until(context.Background(), "node ready", time.Millisecond, 20*time.Millisecond, func(context.Context) error {
		n++
		if n == 1 {
			return errors.New("first")
		}
		return cause
	})
	var te *TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, cause) {
		t.Fatalf("got %v, want a TimeoutError wrapping the last cause", err)
	}
	if want := "node ready: not within 20ms: state down"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
}

func TestUntilStopEndsAtOnce(t *testing.T) {
	cause := errors.New("update paused")
	n := 0
	err := Until(context.Background(), "x", time.Millisecond, time.Minute, func(context.Context) error {
		n++
		return Stop(cause)
	})
	if err != cause || n != 1 {
		t.Fatalf("got %v after %d checks, want the cause itself after 1", err, n)
	}
}

func TestUntilHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := Until(ctx, "x", time.Hour, time.Hour, func(context.Context) error { return errors.New("no") })
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("got %v after %s, want context.Canceled promptly", err, time.Since(start))
	}
}

func TestUntilTriesOnceWithoutTime(t *testing.T) {
	n := 0
	err := Until(context.Background(), "x", time.Hour, 0, func(context.Context) error { n++; return errors.New("no") })
	if n != 1 || err == nil || !strings.Contains(err.Error(), "not within 0s: no") {
		t.Fatalf("got %v after %d checks", err, n)
	}
}
