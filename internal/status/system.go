package status

import (
	"skep/internal/config"
)

// buildSystem judges skep's own volume (config.Storage.System), where the
// controller keeps its state, by the rules of the user volume's: its mount
// on every manager (the controller runs there: without the mount it
// cannot start, and losing the manager that runs it would leave no place
// to move it to), and its bricks by each brick host's brick process. What
// no host answered is not known.
func buildSystem(f Facts, fd *findings) {
	if f.File == nil || f.File.Storage == nil {
		return
	}
	sys := f.File.Storage.System()
	byName := systemFacts(f)
	for _, h := range f.Hosts {
		if h.declaredRole() != config.RoleWorker {
			judgeMount(byName[h.Name], sys.Mount+" (skep's own volume "+sys.Volume+")", "mount of "+sys.Mount, fd)
		}
	}

	// Its bricks by each brick host's own word on its brick process (no
	// cluster-wide transaction for this volume in status: see collect.go).
	for _, b := range f.File.BrickHosts() {
		h := byName[b.Name]
		switch {
		case !h.reachable():
			// Already a problem of its own.
		case h.Storage == nil || !h.Storage.Answered["brick_process"]:
			fd.notKnown("storage: %s: brick of skep's own volume %s not known (no answer in time)", b.Name, sys.Volume)
		case !h.Storage.BrickProcess:
			fd.problem("storage: %s: brick of skep's own volume %s offline (its brick process does not run); run skep apply (it starts missing bricks)", b.Name, sys.Volume)
		}
	}
}

// systemFacts is every host's facts with its answer about skep's own
// volume in place of the user volume's, for the user volume's rules.
func systemFacts(f Facts) map[string]HostFacts {
	out := map[string]HostFacts{}
	for _, h := range f.Hosts {
		if h.Storage != nil {
			h.Storage = h.Storage.System
		}
		out[h.Name] = h
	}
	return out
}
