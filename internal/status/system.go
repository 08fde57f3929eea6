package status

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"skep/internal/config"
	"skep/internal/host"
)

// HostSystem is what a manager said about skep's own volume, where the
// controller keeps its state (config.Storage.System).
type HostSystem struct {
	Mount   string // where it should be mounted
	MountFS string // filesystem type there ("" when nothing is mounted)
	MountOK bool   // the mount answers a statfs within 2 s
	Err     error  // the question was not answered
}

// systemQuestion is the system mount a host is asked about: managers only
// (the controller runs there), "" for others or without storage.
func systemQuestion(c *config.Cluster, h config.Host) string {
	if c.Storage == nil || h.Role == config.RoleWorker {
		return ""
	}
	return c.Storage.SystemMount
}

// askSystem asks a manager, beside the engine calls, whether skep's own
// volume is mounted and answers; the returned wait blocks until it is
// answered (or ctx ends).
func (p *probe) askSystem(ctx context.Context, hs *host.Host, callTimeout time.Duration) (wait func()) {
	if p.system == "" {
		return func() {}
	}
	m := p.system
	p.update(func(f *HostFacts, _ *int) { f.System = &HostSystem{Mount: m, Err: errors.New("no answer in time")} })
	done := make(chan struct{})
	go func() {
		defer close(done)
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		out, err := hs.Exec(cctx, fmt.Sprintf("echo \"fs=$(findmnt -rn -o FSTYPE --mountpoint '%[1]s')\"; timeout 2 stat -f '%[1]s' >/dev/null 2>&1 && echo ok; true", m))
		s := parseSystemAnswer(m, out)
		s.Err = err
		p.update(func(f *HostFacts, _ *int) { f.System = s })
	}()
	return func() {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
}

func parseSystemAnswer(mount, out string) *HostSystem {
	s := &HostSystem{Mount: mount}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if fs, ok := strings.CutPrefix(line, "fs="); ok {
			s.MountFS = fs
		}
		s.MountOK = s.MountOK || line == "ok"
	}
	return s
}

// buildSystem reports managers without skep's own volume: the controller
// cannot start there (its state directory is missing), and losing the
// manager that runs it would leave no place to move it to.
func buildSystem(f Facts) []string {
	if f.File == nil || f.File.Storage == nil {
		return nil
	}
	vol := f.File.Storage.System().Volume
	var problems []string
	for _, h := range f.Hosts {
		s := h.System
		switch {
		case s == nil:
		case s.Err != nil:
			problems = append(problems, fmt.Sprintf("storage: %s: skep's own volume at %s unknown (%v)", h.Name, s.Mount, s.Err))
		case s.MountFS != "fuse.glusterfs":
			problems = append(problems, fmt.Sprintf("storage: %s: skep's own volume %s is not mounted at %s (the controller's state lives there); run skep apply", h.Name, vol, s.Mount))
		case !s.MountOK:
			problems = append(problems, fmt.Sprintf("storage: %s: %s does not answer; run skep apply (it remounts)", h.Name, s.Mount))
		}
	}
	return problems
}
