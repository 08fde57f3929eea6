package status

import (
	"fmt"
	"io"
	"strings"

	"skep/internal/config"
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
	// HealKnown: the heal counts above are GlusterFS's answer for every
	// brick whose host answered. False when the heal question went
	// unanswered, or a live host's brick was not connected to the heal
	// check (a node just back): then 0 pending does not mean healed.
	HealKnown bool `json:"heal_known"`
}

// Brick is one brick host's brick.
type Brick struct {
	Node   string `json:"node"`
	Online bool   `json:"online"`
}

// buildStorage computes the storage section from every host's answer.
// The volume is judged by the brick host that knows it and is connected
// to the most peers (a cut-off node sees only itself); bricks and heals
// by the answer to the cluster-wide questions (asked of one brick host),
// or, when that did not come, bricks by each host's own brick process.
func buildStorage(c *config.Cluster, f Facts, fd *findings) *Storage {
	if c == nil || c.Storage == nil {
		return nil
	}
	s := c.Storage
	st := &Storage{Volume: s.Volume, Replica: s.Replica, Mount: s.Mount, Bricks: []Brick{}, MountedOn: []string{}}
	add := func(format string, args ...any) { fd.problem("storage: "+format, args...) }
	unknown := func(format string, args ...any) { fd.notKnown("storage: "+format, args...) }

	byName := map[string]HostFacts{}
	for _, h := range f.Hosts {
		byName[h.Name] = h
	}
	bricks := c.BrickHosts()

	// The volume as the best-connected brick host that knows it sees it.
	view, _ := bestAnswer(bricks, byName, func(hf *storage.HostFacts) bool { return hf.Volume != nil })
	if view == nil {
		volumeUnknown(s, bricks, byName, fd)
	} else if !view.Volume.Started {
		add("volume %s is not started; run skep apply", s.Volume)
	}

	// Bricks: the one answer to volume status, else each host's word.
	status, statusHost, why := answerTo(bricks, byName, "volstatus", bricksErr)
	if status == nil && view != nil {
		unknown("volume status not known (%s); bricks judged by each host's brick process", why)
	}
	for _, b := range bricks {
		h := byName[b.Name]
		hf := h.Storage
		online, known := false, true
		switch {
		case status != nil:
			ref := storage.BrickRef(b, s)
			for _, bs := range status.Bricks {
				if bs.Ref == ref {
					online = bs.Online
				}
			}
		case !h.reachable():
		case hf == nil || !hf.Answered["container"] || (hf.GlusterdRunning() && !hf.Answered["brick_process"]):
			known = false
		default:
			online = hf.GlusterdRunning() && hf.BrickProcess
		}
		st.Bricks = append(st.Bricks, Brick{Node: b.Name, Online: online})
		switch {
		case online || view == nil:
			// Without a volume there are no bricks to judge; the volume's
			// own finding says why.
		case !h.reachable():
			add("brick of %s offline (host not reachable)", b.Name)
		case !known:
			unknown("brick of %s not known (%s)", b.Name, silence(h))
		case hf != nil && hf.Answered["container"] && !hf.GlusterdRunning():
			add("brick of %s offline: %s is %s; run skep apply", b.Name, storage.ContainerName, containerState(hf))
		default:
			by := "its brick process does not run"
			if status != nil {
				by = "volume status on " + statusHost + " says so"
			}
			add("brick of %s offline (%s); run skep apply (it starts missing bricks), or see docker logs %s on %s", b.Name, by, storage.ContainerName, b.Name)
		}
	}

	for _, h := range f.Hosts {
		if judgeMount(h, s.Mount, "mount", fd) {
			st.MountedOn = append(st.MountedOn, h.Name)
		}
	}

	if view != nil {
		heal, _, why := answerTo(bricks, byName, "heal", func(hf *storage.HostFacts) error { return hf.HealErr })
		if heal == nil {
			unknown("heal status not known (%s)", why)
			return st
		}
		st.HealKnown = true
		for _, hb := range heal.Heal {
			st.PendingHeal += hb.Pending
			st.SplitBrain += hb.SplitBrain
		}
		for _, b := range bricks {
			if !byName[b.Name].reachable() {
				continue
			}
			ref := storage.BrickRef(b, s)
			for _, hb := range heal.Heal {
				if hb.Ref == ref && !hb.Connected {
					st.HealKnown = false
					unknown("heal status of %s's brick not known (not connected to the heal check yet)", b.Name)
				}
			}
		}
		if st.PendingHeal > 0 {
			add("%d entries pending heal (the self-heal daemon copies them; watch with gluster volume heal %s info)", st.PendingHeal, s.Volume)
		}
		if st.SplitBrain > 0 {
			add("%d entries in split brain: GlusterFS will not pick a copy on its own; resolve with gluster volume heal %s split-brain", st.SplitBrain, s.Volume)
		}
	}
	return st
}

// judgeMount judges host h's answer (h.Storage) about its mount at path,
// named noun where it is not known: true when it is mounted and answers.
func judgeMount(h HostFacts, path, noun string, fd *findings) bool {
	add := func(format string, args ...any) { fd.problem("storage: "+format, args...) }
	unknown := func(format string, args ...any) { fd.notKnown("storage: "+format, args...) }
	hf := h.Storage
	switch {
	case !h.reachable():
		// Already a problem of its own.
	case hf == nil || !hf.Answered["mount"]:
		unknown("%s: %s not known (%s)", h.Name, noun, silence(h))
	case hf.MountFS == "fuse.glusterfs" && !hf.Answered["mount_ok"]:
		unknown("%s: whether %s answers is not known (%s)", h.Name, path, silence(h))
	case hf.Mounted():
		return true
	case hf.MountFS == "fuse.glusterfs":
		add("%s: %s is mounted but does not answer", h.Name, path)
	case hf.MountFS != "":
		add("%s: a %s file system is mounted at %s, not the volume; run skep apply", h.Name, hf.MountFS, path)
	default:
		add("%s: %s is not mounted; run skep apply", h.Name, path)
	}
	return false
}

// bestAnswer is, among the brick hosts whose answer passes ok, the one
// connected to the most peers (the first in cluster-file order among
// equals), and its name; nil when none passes.
func bestAnswer(bricks []config.Host, byName map[string]HostFacts, ok func(*storage.HostFacts) bool) (*storage.HostFacts, string) {
	var best *storage.HostFacts
	bestName, bestConn := "", -1
	for _, b := range bricks {
		hf := byName[b.Name].Storage
		if hf == nil || !ok(hf) {
			continue
		}
		conn := 0
		for _, p := range hf.Peers {
			if p.Connected {
				conn++
			}
		}
		if conn > bestConn {
			best, bestName, bestConn = hf, b.Name, conn
		}
	}
	return best, bestName
}

// answerTo is the best answer to a cluster-wide question (the section
// of the output, whose error err tells) and whose it is (bestAnswer); or,
// when none answered it well, why (firstFailure, else silence).
func answerTo(bricks []config.Host, byName map[string]HostFacts, section string, err func(*storage.HostFacts) error) (*storage.HostFacts, string, string) {
	best, name := bestAnswer(bricks, byName, func(hf *storage.HostFacts) bool { return hf.Answered[section] && err(hf) == nil })
	if best != nil {
		return best, name, ""
	}
	why := firstFailure(bricks, byName, section, err)
	if why == "" {
		why = "no brick host answered in time"
	}
	return nil, "", why
}

func bricksErr(hf *storage.HostFacts) error { return hf.BricksErr }

// firstFailure names the first brick host that was asked a question and
// did not answer it well, and why; "" when none was asked.
func firstFailure(bricks []config.Host, byName map[string]HostFacts, section string, err func(*storage.HostFacts) error) string {
	for _, b := range bricks {
		hf := byName[b.Name].Storage
		if hf != nil && hf.Answered[section] && err(hf) != nil {
			return b.Name + ": " + err(hf).Error()
		}
	}
	return ""
}

// volumeUnknown explains why no brick host told about the volume. A host
// that says it does not exist, or whose glusterd fails or is stopped, is a
// problem; only silence is not known. (Only the host that asks GlusterFS,
// or one asked after it, answers volume info.)
func volumeUnknown(s *config.Storage, bricks []config.Host, byName map[string]HostFacts, fd *findings) {
	var failed, silent []string
	for _, b := range bricks {
		h := byName[b.Name]
		hf := h.Storage
		switch {
		case !h.reachable() || hf == nil:
		case hf.Answered["container"] && !hf.GlusterdRunning():
			fd.problem("storage: %s: %s is %s; run skep apply", b.Name, storage.ContainerName, containerState(hf))
		case !hf.Answered["volinfo"]:
		case hf.VolumeErr == nil:
			fd.problem("storage: volume %s does not exist; run skep apply", s.Volume)
			return
		case notAnswered(hf.VolumeErr):
			silent = append(silent, fmt.Sprintf("%s: volume info: %v", b.Name, hf.VolumeErr))
		default:
			failed = append(failed, fmt.Sprintf("%s: volume info: %v", b.Name, hf.VolumeErr))
		}
	}
	switch {
	case len(failed) > 0:
		fd.problem("storage: volume %s unknown: no brick host could tell (%s)", s.Volume, strings.Join(failed, "; "))
	case len(silent) > 0:
		fd.notKnown("storage: volume %s not known (%s)", s.Volume, strings.Join(silent, "; "))
	default:
		fd.notKnown("storage: volume %s not known (no brick host answered in time)", s.Volume)
	}
}

// containerState is skep-glusterd's state in words.
func containerState(hf *storage.HostFacts) string {
	if hf.Container == "" {
		return "missing"
	}
	return hf.Container
}

// silence says why a reachable host's storage answer is incomplete.
func silence(h HostFacts) string {
	switch {
	case h.StorageErr != nil:
		return trimHostPrefix(h.Name, h.StorageErr.Error())
	case h.Storage == nil:
		return "no answer"
	}
	return "no answer in time"
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
	heal := fmt.Sprintf("pending heal %d, split brain %d", s.PendingHeal, s.SplitBrain)
	if !s.HealKnown {
		heal = "heal status not known"
	}
	fmt.Fprintf(w, "  mounted on: %s; %s\n", dashJoin(s.MountedOn), heal)
}

func dashJoin(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, ", ")
}
