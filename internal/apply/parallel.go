package apply

import "sync"

// onHosts runs fn for every named host at once and returns what each
// returned, with the hosts' errors joined in host order (each names its
// host). One host's failure does not stop the others, so every problem is
// reported in one run.
func onHosts[T any](names []string, fn func(name string) (T, error)) (map[string]T, error) {
	out := make(map[string]T, len(names))
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := fn(name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[name] = err
				return
			}
			out[name] = v
		}()
	}
	wg.Wait()
	return out, joinHostErrors(errs)
}
