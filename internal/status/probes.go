package status

import (
	"bufio"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	dswarm "github.com/docker/docker/api/types/swarm"

	"skep/internal/health"
	"skep/internal/placement"
	"skep/internal/storage"
)

// HostProbes is a manager's view of the node probes (internal/health), as
// its status script read it from the host's tmpfs.
type HostProbes struct {
	// Reading is the view with the host's clock when it was read; nil
	// when Missing or Err.
	Reading *health.Reading
	// Missing: the host has no view file (its agent has not written one
	// since the host booted, or does not run).
	Missing bool
	Err     error
}

// probesSection names the script's section holding the view.
const probesSection = "node_probes"

// probesQuestion prints the host's clock in milliseconds, then its newest
// view file (the agent's, named after its node), at most
// health.MaxViewBytes of it, or "missing".
func probesQuestion() string {
	return storage.Section(probesSection) + "date +%s%3N\n" +
		fmt.Sprintf("f=$(ls -t %s/*.json 2>/dev/null | head -n 1)\n", health.ViewDir) +
		fmt.Sprintf("if [ -n \"$f\" ]; then head -c %d \"$f\"; echo; else echo missing; fi\n", health.MaxViewBytes)
}

// probes reads the script's answer about the view.
func (a scriptAnswer) probes() *HostProbes {
	out, ok := a.sections[probesSection]
	switch {
	case !ok && a.err != nil:
		return &HostProbes{Err: a.err}
	case !ok:
		return &HostProbes{Err: &storage.NoAnswer{After: "time"}}
	}
	clock, rest, _ := strings.Cut(out, "\n")
	ms, err := strconv.ParseInt(strings.TrimSpace(clock), 10, 64)
	if err != nil {
		return &HostProbes{Err: fmt.Errorf("the host's clock read %q", strings.TrimSpace(clock))}
	}
	rest = strings.TrimSpace(rest)
	if rest == "missing" {
		return &HostProbes{Missing: true}
	}
	v, err := health.ParseView([]byte(rest))
	if err != nil {
		return &HostProbes{Err: err}
	}
	return &HostProbes{Reading: &health.Reading{View: v, Now: time.UnixMilli(ms)}}
}

// judgeProbes sets each node's probe fields from the managers' fresh
// views (health.Judge: down when more than half of them say so) and makes
// a node down by probe a problem, whatever the swarm still says. A
// manager whose view is missing, unreadable or stale does not vote and is
// listed as not known. Nothing is said when no manager was asked.
func judgeProbes(f Facts, v *view, mapped []int, r *Report, fd *findings) {
	asked := false
	var fresh []health.Reading
	for _, h := range f.Hosts {
		hp := h.Probes
		if hp == nil || !h.reachable() {
			continue
		}
		asked = true
		switch {
		case hp.Err != nil:
			fd.notKnown("%s: its view of the node probes is not known (%s)", h.Name, trimHostPrefix(h.Name, hp.Err.Error()))
		case hp.Missing:
			fd.notKnown("%s: no view of the node probes in %s; is %s running? (docker service ps %s)",
				h.Name, health.ViewDir, placement.AgentService, placement.AgentService)
		case hp.Reading.Age() > health.Fresh:
			fd.notKnown("%s: its view of the node probes is %s old, so it does not count; is %s running? (docker service ps %s)",
				h.Name, hp.Reading.Age().Round(time.Second), placement.AgentService, placement.AgentService)
		default:
			fresh = append(fresh, *hp.Reading)
		}
	}
	if !asked {
		return
	}
	r.probeViews = len(fresh)
	verdicts := health.Judge(fresh)
	for i := range r.Nodes {
		node := &r.Nodes[i]
		var sn *dswarm.Node
		if v != nil && mapped[i] >= 0 {
			sn = &v.nodes[mapped[i]]
		}
		vd, ok := findVerdict(verdicts, sn, node.Name)
		if !ok {
			node.Probe = health.ProbeUnknown
			continue
		}
		node.Probe = vd.Probe
		if vd.Probe != health.ProbeDown {
			continue
		}
		node.DownForSeconds = math.Round(vd.DownFor.Seconds()*10) / 10
		node.DownSince = vd.DownSince.UTC()
		node.swarmState = "unknown"
		swarmSays := "the swarm's state for it is not known"
		if sn != nil {
			node.swarmState = orUnknown(string(sn.Status.State))
			noticed := sn.Status.State != dswarm.NodeStateReady
			node.SwarmNoticed = &noticed
			swarmSays = "the swarm still sees it ready (not noticed yet)"
			if noticed {
				swarmSays = "the swarm sees it " + node.swarmState + " too"
			}
		}
		fd.problem("%s: down by probe for %s: %d of %d managers get no answer (%s); %s",
			node.Name, downFor(vd.DownFor), vd.Down, vd.Views, vd.Why, swarmSays)
	}
}

// findVerdict is the verdict about a host: by its swarm node's ID, else
// by its swarm host name, else (no swarm node known) by the cluster
// file's name for it.
func findVerdict(vs []health.Verdict, sn *dswarm.Node, fileName string) (health.Verdict, bool) {
	if sn != nil {
		for _, vd := range vs {
			if vd.ID != "" && vd.ID == sn.ID {
				return vd, true
			}
		}
		for _, vd := range vs {
			if vd.ID == "" && vd.Name == sn.Description.Hostname {
				return vd, true
			}
		}
		return health.Verdict{}, false
	}
	for _, vd := range vs {
		if vd.Name == fileName {
			return vd, true
		}
	}
	return health.Verdict{}, false
}

// downFor is a duration for people: whole seconds, "<1s" below one.
func downFor(d time.Duration) string {
	if d < time.Second {
		return "<1s"
	}
	return d.Round(time.Second).String()
}

// writeProbes is the text block: how many nodes answer, and a line per
// node down by probe with the swarm's state beside it.
func (r *Report) writeProbes(w *bufio.Writer) {
	counts := map[string]int{}
	seen := false
	for _, n := range r.Nodes {
		if n.Probe != "" {
			counts[n.Probe]++
			seen = true
		}
	}
	if !seen {
		return
	}
	line := fmt.Sprintf("\nprobes: %d ok", counts[health.ProbeOK])
	if c := counts[health.ProbeDown]; c > 0 {
		line += fmt.Sprintf(", %d down", c)
	}
	if c := counts[health.ProbeUnknown]; c > 0 {
		line += fmt.Sprintf(", %d unknown", c)
	}
	fmt.Fprintf(w, "%s (views of %d managers)\n", line, r.probeViews)
	for _, n := range r.Nodes {
		if n.Probe != health.ProbeDown {
			continue
		}
		noticed := "not known"
		switch {
		case n.SwarmNoticed == nil:
		case *n.SwarmNoticed:
			noticed = "noticed"
		default:
			noticed = "not noticed yet"
		}
		fmt.Fprintf(w, "  %s down %s (swarm: %s, %s)\n", n.Name, downFor(time.Duration(n.DownForSeconds*float64(time.Second))), dash(n.swarmState), noticed)
	}
}
