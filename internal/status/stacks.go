package status

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	dswarm "github.com/docker/docker/api/types/swarm"

	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/stack"
)

// Stack is one app stack in the status contract: each of its services
// with the tasks swarm wants running and those that are.
type Stack struct {
	Name     string         `json:"name"`
	Services []StackService `json:"services"`
}

// StackService is one service of a stack, named as swarm names it.
type StackService struct {
	Name    string `json:"name"`
	Desired uint64 `json:"desired"`
	Running uint64 `json:"running"`
	// For the screen: the counts as docker service ls shows them, whether
	// they are what they should be, and else why not ("starting").
	counts    string
	atDesired bool
	note      string
}

// HostStacks is every stack's services as one manager listed them.
type HostStacks struct {
	Services []stack.ServiceState
	Err      error
	// Now is the manager's clock when it answered: a service's last update
	// is dated by the same clock.
	Now time.Time
}

// stackGrace is how long after its last update a service may run fewer
// tasks than it wants before that is a problem: images are pulled,
// containers start and pass their healthchecks meanwhile.
const stackGrace = 60 * time.Second

// asksStacks tells whether the report has a stacks section to answer.
func asksStacks(sections []Section) bool {
	return slices.ContainsFunc(sections, func(s Section) bool { return s.Name == StacksSection.Name })
}

// askStacks lists the stacks' services with their task counts: one
// ServiceList call, which the manager answers from its own store.
func (p *probe) askStacks(ctx context.Context, h *host.Host, clock time.Time) {
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	cli, err := h.Docker(ctx)
	var svcs []stack.ServiceState
	if err == nil {
		svcs, err = stack.Services(ctx, cli, "")
	}
	if clock.IsZero() {
		clock = time.Now()
	}
	p.update(func(f *HostFacts, _ *int) { f.Stacks = &HostStacks{Services: svcs, Err: err, Now: clock} })
}

// buildStacks reports every stack one manager of the cluster's swarm
// listed. A service below its desired tasks longer than stackGrace after
// its last update, or whose update swarm paused, is a problem; such
// problems are not apply's to fix (stacks are deployed apart from the
// cluster file), so its verification passes them by. nil when no stack
// exists or no manager answered (then the stacks are not known).
func buildStacks(f Facts, fd *findings) []Stack {
	v := pickView(f)
	var failed []string
	for _, h := range f.Hosts {
		a := h.Stacks
		if a == nil || !h.reachable() || (v != nil && h.Swarm != nil && v.clusterID != "" && h.Swarm.ClusterID != v.clusterID) {
			continue
		}
		if a.Err != nil {
			failed = append(failed, h.Name+": "+trimHostPrefix(h.Name, a.Err.Error()))
			continue
		}
		stacks, problems := judgeStacks(a.Services, a.Now)
		fd.problems = append(fd.problems, problems...)
		fd.strays = append(fd.strays, problems...)
		return stacks
	}
	if len(failed) > 0 {
		fd.notKnown("stacks: not known (%s)", strings.Join(failed, "; "))
	}
	return nil
}

// judgeStacks groups services (sorted by stack) into stacks and judges
// each at now, the manager's clock.
func judgeStacks(svcs []stack.ServiceState, now time.Time) ([]Stack, []string) {
	var out []Stack
	var problems []string
	for _, s := range svcs {
		if len(out) == 0 || out[len(out)-1].Name != s.Stack {
			out = append(out, Stack{Name: s.Stack, Services: []StackService{}})
		}
		ss := StackService{Name: s.Name, Desired: s.Desired, Running: s.Running, counts: s.Counts(), atDesired: s.AtDesired()}
		hint := "see docker service ps --no-trunc " + s.Name
		age := now.Sub(s.UpdatedAt).Round(time.Second)
		switch {
		case s.Update == dswarm.UpdateStatePaused || s.Update == dswarm.UpdateStateRollbackPaused:
			ss.note = string(s.Update)
			problems = append(problems, fmt.Sprintf("stack %s: %s: update %s (%s); fix the stack and deploy it again (%s)", s.Stack, s.Name, s.Update, s.UpdateMessage, hint))
		case ss.atDesired:
		case !s.Counted:
			ss.note = "not counted by the swarm"
		case s.Job() && s.Running > 0:
			ss.note = "in progress"
		case age < stackGrace:
			ss.note = "starting"
		default:
			problems = append(problems, fmt.Sprintf("stack %s: %s: %s, last updated %s ago (%s)", s.Stack, s.Name, s.Counts(), age, hint))
		}
		out[len(out)-1].Services = append(out[len(out)-1].Services, ss)
	}
	return out, problems
}

// writeStacks is the text block: a line per stack, and one per service
// not at its desired tasks.
func writeStacks(w *bufio.Writer, stacks []Stack) {
	if len(stacks) == 0 {
		return
	}
	fmt.Fprintf(w, "\nstacks: %d\n", len(stacks))
	for _, st := range stacks {
		var off []StackService
		for _, s := range st.Services {
			if !s.atDesired || s.note != "" {
				off = append(off, s)
			}
		}
		state := "all at desired"
		if len(off) > 0 {
			state = fmt.Sprintf("%d not at desired", len(off))
		}
		fmt.Fprintf(w, "  %s: %s, %s\n", st.Name, plural(len(st.Services), "service"), state)
		for _, s := range off {
			fmt.Fprintf(w, "    %s: %s", s.Name, s.counts)
			if s.note != "" {
				fmt.Fprintf(w, " (%s)", s.note)
			}
			fmt.Fprintln(w)
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// stacksAlways: stacks are deployed apart from the cluster file, so
// whenever the section is asked for, every cluster has it; it shows once
// a stack exists.
func stacksAlways(*config.Cluster) bool { return true }
