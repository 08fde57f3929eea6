package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/storage"
)

// Storage is the shared volume's health (the "storage" section of the
// status contract).
type Storage struct {
	Volume      string   `json:"volume"`
	Replica     int      `json:"replica"`
	Mount       string   `json:"mount"`
	Bricks      []Brick  `json:"bricks"`
	MountedOn   []string `json:"mounted_on"`
	PendingHeal int      `json:"pending_heal"`
	SplitBrain  int      `json:"split_brain"`
}

// Brick is one brick host's brick.
type Brick struct {
	Node   string `json:"node"`
	Online bool   `json:"online"`
}

// StorageFacts is what Gather learned about the storage.
type StorageFacts struct {
	Config     *config.Storage
	BrickHosts []config.Host
	Hosts      map[string]*storage.HostFacts // by host name; missing = no answer
	Errs       map[string]error
}

// storageQuestion asks one host about its part of the storage, in one SSH
// round trip, beside the engine calls; nil when the cluster has no storage.
func storageQuestion(c *config.Cluster, h config.Host) func(ctx context.Context, hs *host.Host) (*storage.HostFacts, error) {
	if c.Storage == nil {
		return nil
	}
	brick := false
	for _, b := range c.BrickHosts() {
		brick = brick || b.Name == h.Name
	}
	script := storage.FactsScript(c, h, brick, brick)
	return func(ctx context.Context, hs *host.Host) (*storage.HostFacts, error) {
		out, err := hs.Sudo(ctx, script)
		if err != nil {
			if ctx.Err() != nil {
				return nil, errors.New("no answer in time")
			}
			return nil, err
		}
		return storage.ParseFacts(out), nil
	}
}

// askStorage starts p's storage question; the returned wait blocks until it
// is answered (or ctx ends). Until then the host counts as silent.
func (p *probe) askStorage(ctx context.Context, hs *host.Host) (wait func()) {
	if p.storage == nil {
		return func() {}
	}
	p.update(func(f *HostFacts, _ *int) {
		f.StorageErr = errors.New("no answer in time")
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sf, err := p.storage(ctx, hs)
		p.update(func(f *HostFacts, _ *int) { f.Storage, f.StorageErr = sf, err })
	}()
	return func() {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
}

// buildStorage computes the storage section from every host's answer.
// Bricks are judged by the view of the brick host connected to the most
// peers (a cut-off node sees only itself); pending heals and split-brain
// entries by that host's heal summary, summed over bricks.
func buildStorage(c *config.Cluster, f Facts) (*Storage, []string) {
	if c == nil || c.Storage == nil {
		return nil, nil
	}
	s := c.Storage
	st := &Storage{Volume: s.Volume, Replica: s.Replica, Mount: s.Mount, Bricks: []Brick{}, MountedOn: []string{}}
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, "storage: "+fmt.Sprintf(format, args...))
	}

	byName := map[string]HostFacts{}
	for _, h := range f.Hosts {
		byName[h.Name] = h
	}
	// The view is the brick host that knows the volume and is connected to
	// the most peers (a cut-off node sees only itself).
	var view *storage.HostFacts
	viewName, best := "", -1
	var firstErr string
	for _, b := range c.BrickHosts() {
		h := byName[b.Name]
		hf := h.Storage
		switch {
		case hf == nil:
			if firstErr == "" && h.reachable() {
				firstErr = fmt.Sprintf("%s: %v", b.Name, h.StorageErr)
			}
			continue
		case hf.VolumeErr != nil:
			if firstErr == "" {
				firstErr = fmt.Sprintf("%s: volume info: %v", b.Name, hf.VolumeErr)
			}
			continue
		case hf.Volume == nil:
			continue
		}
		conn := 0
		for _, p := range hf.Peers {
			if p.Connected {
				conn++
			}
		}
		if conn > best {
			view, viewName, best = hf, b.Name, conn
		}
	}

	for _, b := range c.BrickHosts() {
		online := false
		hf := byName[b.Name].Storage
		switch {
		case view == nil:
		case view.BricksErr == nil:
			ref := storage.BrickRef(b, s)
			for _, bs := range view.Bricks {
				if bs.Ref == ref {
					online = bs.Online
				}
			}
		default:
			// volume status is a transaction among all glusterds and
			// fails while one is frozen; then each host's own word on its
			// brick process counts.
			online = hf != nil && hf.GlusterdRunning() && hf.BrickProcess
		}
		st.Bricks = append(st.Bricks, Brick{Node: b.Name, Online: online})
		if view != nil && !online {
			switch {
			case !byName[b.Name].reachable():
				add("brick of %s offline (host not reachable)", b.Name)
			case hf != nil && !hf.GlusterdRunning():
				add("brick of %s offline: %s is %s; run skep apply", b.Name, storage.ContainerName, orUnknown(hf.Container))
			default:
				add("brick of %s offline; run skep apply (it starts missing bricks), or see docker logs %s on %s", b.Name, storage.ContainerName, b.Name)
			}
		}
	}
	if view == nil {
		why := "no brick host answered"
		if firstErr != "" {
			why += " (" + firstErr + ")"
		}
		for _, b := range c.BrickHosts() {
			hf := byName[b.Name].Storage
			if hf != nil && hf.GlusterdRunning() && hf.Asked["volinfo"] && hf.VolumeErr == nil && hf.Volume == nil {
				why = "it does not exist; run skep apply"
				break
			}
		}
		add("volume %s unknown: %s", s.Volume, why)
	}

	for _, h := range f.Hosts {
		hf := h.Storage
		switch {
		case hf != nil && hf.Mounted():
			st.MountedOn = append(st.MountedOn, h.Name)
		case !h.reachable():
			// Already a problem of its own.
		case hf == nil:
			add("%s: mount unknown (%v)", h.Name, h.StorageErr)
		case hf.MountFS == "fuse.glusterfs":
			add("%s: %s is mounted but does not answer", h.Name, s.Mount)
		default:
			add("%s: %s is not mounted; run skep apply", h.Name, s.Mount)
		}
	}

	if view != nil {
		if view.HealErr != nil || !view.Asked["heal"] {
			add("heal status unknown (%s: %v)", viewName, view.HealErr)
		}
		for _, hb := range view.Heal {
			st.PendingHeal += hb.Pending
			st.SplitBrain += hb.SplitBrain
		}
		if st.PendingHeal > 0 {
			add("%d entries pending heal (the self-heal daemon copies them; watch with gluster volume heal %s info)", st.PendingHeal, s.Volume)
		}
		if st.SplitBrain > 0 {
			add("%d entries in split brain: GlusterFS will not pick a copy on its own; resolve with gluster volume heal %s split-brain", st.SplitBrain, s.Volume)
		}
	}
	return st, problems
}

// writeText is the storage block of the text screen.
func (s *Storage) writeText(w io.Writer) {
	var bricks []string
	for _, b := range s.Bricks {
		state := "online"
		if !b.Online {
			state = "OFFLINE"
		}
		bricks = append(bricks, b.Node+" "+state)
	}
	fmt.Fprintf(w, "storage: volume %s (replica %d) at %s, bricks: %s\n", s.Volume, s.Replica, s.Mount, dashJoin(bricks))
	fmt.Fprintf(w, "  mounted on: %s; pending heal %d, split brain %d\n", dashJoin(s.MountedOn), s.PendingHeal, s.SplitBrain)
}

func dashJoin(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, ", ")
}
