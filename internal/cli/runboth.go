package cli

import (
	"context"
	"sync"
)

// runBoth runs two loops that never end on their own; the first to fail
// stops the other, and its error ends the process (swarm starts it again).
func runBoth(ctx context.Context, a, b func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, run := range []func(context.Context) error{a, b} {
		wg.Go(func() {
			errs[i] = run(ctx)
			cancel()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
