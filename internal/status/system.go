package status

import (
	"skep/internal/config"
	"skep/internal/storage"
)

// buildSystem judges skep's own volume (config.Storage.System), where the
// controller keeps its state, by the rules of the user volume's: its mount
// on every manager (the controller runs there: without the mount it
// cannot start, and losing the manager that runs it would leave no place
// to move it to), and its bricks by the volume status the brick host that
// asks GlusterFS asked last. What no host answered is not known.
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

	bricks := f.File.BrickHosts()
	status, statusHost, why := answerTo(bricks, byName, "volstatus", bricksErr)
	if status == nil {
		fd.notKnown("storage: volume status of %s (skep's own volume) not known (%s)", sys.Volume, why)
		return
	}
	for _, b := range bricks {
		ref := storage.BrickRef(b, sys)
		online := false
		for _, bs := range status.Bricks {
			if bs.Ref == ref {
				online = bs.Online
			}
		}
		if !online {
			fd.problem("storage: %s: brick of skep's own volume %s offline (volume status on %s says so); run skep apply (it starts missing bricks)", b.Name, sys.Volume, statusHost)
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
