package cli

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The leader agent's two loops: the first to fail stops the other, and
// its error ends the command (swarm starts the agent again).
func TestRunBoth(t *testing.T) {
	boom := errors.New("docker client: boom")
	stopped := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- runBoth(context.Background(),
			func(context.Context) error { return boom },
			func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Errorf("runBoth = %v, want %v", err, boom)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the other loop was not stopped")
	}
	select {
	case <-stopped:
	default:
		t.Error("the other loop did not see its context end")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wait := func(ctx context.Context) error { <-ctx.Done(); return nil }
	if err := runBoth(ctx, wait, wait); err != nil {
		t.Errorf("stopped from outside: %v", err)
	}
}
