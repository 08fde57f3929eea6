package host

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/docker/docker/client"

	"skep/internal/config"
)

// Engines reaches every host's Docker engine over SSH, in parallel, each
// dial bounded by timeout. It returns the engines that answered, by host
// name, the function that closes every connection, and an error naming
// the hosts that did not answer: the caller goes on with those that did.
func Engines(ctx context.Context, c *config.Cluster, timeout time.Duration) (map[string]client.APIClient, func(), error) {
	hosts, dialErr := DialAll(ctx, Targets(c, false, timeout))
	closeAll := func() {
		for _, h := range hosts {
			h.Close()
		}
	}
	engines := map[string]client.APIClient{}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for name, h := range hosts {
		wg.Go(func() {
			cli, err := h.Docker(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			engines[name] = cli
		})
	}
	wg.Wait()
	return engines, closeAll, errors.Join(append([]error{dialErr}, errs...)...)
}
