package status

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"skep/internal/config"
	"skep/internal/storage"
	"skep/internal/vip"
)

// certReadTimeout bounds reading the controller's status file: it lives on
// skep's own volume, whose mount stalls while a peer is frozen.
const certReadTimeout = 1500 * time.Millisecond

// hostScript is everything status asks a host over SSH, in one script:
// its part of the storage (storage.FactsScript: quick facts, the mounts,
// and one docker exec for the GlusterFS questions of q), a manager's view
// of the node probes (first: a file on a tmpfs, it never waits), whether
// it holds the VIP (its addresses), and the controller's status file. ""
// when there is nothing to ask.
func hostScript(c *config.Cluster, h config.Host, q storage.Questions, askVIP, certs, probes bool) string {
	var extra strings.Builder
	if probes {
		extra.WriteString(probesQuestion())
	}
	if askVIP {
		extra.WriteString(storage.Section("addrs"))
		extra.WriteString(vip.AddrCommand + "\n")
	}
	if certs {
		t := strings.TrimSuffix(fmt.Sprintf("%.1f", certReadTimeout.Seconds()), ".0")
		extra.WriteString(storage.Section("controller_status"))
		// A read that fails or times out (a stalled mount) is not known;
		// the mount's own answer says whether it is a fault.
		fmt.Fprintf(&extra, "timeout -k 0.2 %[1]s sh -c 'if [ -f %[2]s ]; then cat %[2]s; else echo missing; fi'; r=$?\n"+
			"if [ $r = 124 ]; then echo 'skep: no answer in %[1]ss'; elif [ $r != 0 ]; then echo \"skep: read failed (exit $r)\"; fi\n", t, controllerStatusPath(c))
	}
	if c.Storage != nil {
		q.Extra = extra.String()
		return storage.FactsScript(c, h, q)
	}
	if extra.Len() == 0 {
		return ""
	}
	return extra.String() + storage.Section(storage.EndSection)
}

// stream collects a script's output as it arrives, so a script cut off
// by the deadline still tells what it answered so far.
type stream struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done bool
	err  error
}

func (s *stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return len(p), nil
	}
	return s.buf.Write(p)
}

func (s *stream) finish(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done, s.err = true, err
}

// whole is the output in whole sections, and why it is not all there
// (nil when the script ended well).
func (s *stream) whole() (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.buf.String()
	if !s.done {
		return storage.Whole(out), false, nil
	}
	return out, true, s.err
}

// facts parses the stream as storage facts; nil before any whole section.
func (s *stream) facts() *storage.HostFacts {
	if s == nil {
		return nil
	}
	out, _, _ := s.whole()
	if out == "" {
		return nil
	}
	return storage.ParseFacts(out)
}

// scriptAnswer is what a host's script told, as far as it got.
type scriptAnswer struct {
	sections map[string]string
	storage  *storage.HostFacts
	err      error // why it is not all there; nil when it ended well
}

// scriptAnswer reads p.out. A script still running when Collect stopped
// listening counts as silent from where it was cut.
func (p *probe) scriptAnswer(silent error) scriptAnswer {
	var a scriptAnswer
	if p.out == nil {
		a.err = silent
		return a
	}
	out, done, err := p.out.whole()
	switch {
	case !done || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// Cut off by the deadline: silent from where it was cut.
		a.err = silent
	case err != nil && !strings.Contains(out, "@@skep "+storage.EndSection+"\n"):
		a.err = err
	}
	a.sections = storage.Sections(out)
	if len(a.sections) > 0 {
		a.storage = storage.ParseFacts(out)
	}
	if a.storage == nil && a.err == nil {
		a.err = errors.New("the script printed nothing")
	}
	return a
}

// certificates is the controller's status as the script read it from
// statusPath.
func (a scriptAnswer) certificates(statusPath string) *HostCertificates {
	hc := &HostCertificates{ReadAt: time.Now()}
	out, ok := a.sections["controller_status"]
	switch {
	case !ok && a.err != nil:
		hc.Err = fmt.Errorf("read %s: %w", statusPath, a.err)
	case !ok:
		hc.Err = fmt.Errorf("read %s: %w", statusPath, &storage.NoAnswer{After: "time"})
	case strings.Contains(out, "skep: no answer in "):
		_, after, _ := strings.Cut(out, "skep: no answer in ")
		hc.Err = fmt.Errorf("read %s: %w", statusPath, &storage.NoAnswer{After: strings.TrimSpace(after)})
	case strings.Contains(out, "skep: read failed") || strings.TrimSpace(out) == "":
		// The mount did not give the file: its own answer tells why.
		hc.Err = fmt.Errorf("read %s: %w", statusPath, &storage.NoAnswer{After: "time (the read failed)"})
	case strings.TrimSpace(out) == "missing":
		hc.Missing = true
	default:
		hc.Status, hc.Err = parseControllerStatus(out)
	}
	return hc
}

// mergeClusterWide puts the GlusterFS answers a host gave when asked them
// after another brick host failed to (wide) into its storage facts.
func mergeClusterWide(f, wide *storage.HostFacts) {
	if wide == nil {
		return
	}
	if ws := wide.System; ws != nil && ws.Answered["volstatus"] {
		if f.System == nil {
			f.System = storage.ParseSystemFacts("")
		}
		f.System.Bricks, f.System.BricksErr, f.System.Answered["volstatus"] = ws.Bricks, ws.BricksErr, true
	}
	for _, n := range []string{"peers", "volinfo", "brick_lost", "volstatus", "heal"} {
		if !wide.Answered[n] {
			continue
		}
		f.Answered[n] = true
		switch n {
		case "peers":
			f.Peers, f.PeersErr = wide.Peers, wide.PeersErr
		case "volinfo":
			f.Volume, f.VolumeErr = wide.Volume, wide.VolumeErr
		case "brick_lost":
			f.BrickLost = wide.BrickLost
		case "volstatus":
			f.Bricks, f.BricksErr = wide.Bricks, wide.BricksErr
		case "heal":
			f.Heal, f.HealErr = wide.Heal, wide.HealErr
		}
	}
}
