package health

import (
	"sort"
	"time"
)

// Reading is one manager's view as a reader got it, with the manager's
// own clock at that moment: age and down times are each reckoned on the
// clock that wrote the view, so clock skew between hosts does not enter.
type Reading struct {
	View View
	Now  time.Time
}

// Age is how old the view was when read.
func (r Reading) Age() time.Duration { return r.Now.Sub(r.View.At) }

// Split separates the views younger than fresh from the stale ones. A
// stale view is of an agent that stopped writing (its manager frozen, or
// the agent not running): it must not vote.
func Split(rs []Reading, fresh time.Duration) (ok, stale []Reading) {
	for _, r := range rs {
		if r.Age() <= fresh {
			ok = append(ok, r)
		} else {
			stale = append(stale, r)
		}
	}
	return ok, stale
}

// Verdict is the managers' judgement of one node.
type Verdict struct {
	Name, ID string
	// Probe is ProbeDown when more than half of the fresh views say the
	// node does not answer, ProbeOK when more than half say it does,
	// ProbeUnknown otherwise (a tie, or views that do not list it).
	Probe string
	// Down and OK count the views saying so; Views is how many fresh
	// views there were.
	Down, OK, Views int
	// DownSince is the earliest time a view saying down saw the failures
	// start; DownFor is the longest such view's own now minus its since.
	DownSince time.Time
	DownFor   time.Duration
	// Why is the reason of the view that has seen it down longest.
	Why string
}

// Judge gives every node some fresh view lists a verdict, by host name.
// A node is told apart by its node ID where the views give one (a node
// that left and joined again keeps its host name).
func Judge(fresh []Reading) []Verdict {
	byKey := map[string]*Verdict{}
	var keys []string
	for _, r := range fresh {
		for name, n := range r.View.Nodes {
			key := n.ID
			if key == "" {
				key = "name:" + name
			}
			v := byKey[key]
			if v == nil {
				v = &Verdict{Name: name, ID: n.ID, Views: len(fresh)}
				byKey[key] = v
				keys = append(keys, key)
			}
			if n.OK {
				v.OK++
				continue
			}
			v.Down++
			if d := max(r.Now.Sub(n.Since), 0); v.Down == 1 || d > v.DownFor {
				v.DownFor, v.Why = d, n.Error
			}
			if v.DownSince.IsZero() || n.Since.Before(v.DownSince) {
				v.DownSince = n.Since
			}
		}
	}
	out := make([]Verdict, 0, len(keys))
	for _, k := range keys {
		v := byKey[k]
		switch {
		case 2*v.Down > v.Views:
			v.Probe = ProbeDown
		case 2*v.OK > v.Views:
			v.Probe = ProbeOK
		default:
			v.Probe = ProbeUnknown
		}
		if v.Probe != ProbeDown {
			v.DownSince, v.DownFor, v.Why = time.Time{}, 0, ""
		}
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}
