package vip

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Real-time scheduling. keepalived's VRRP process runs SCHED_RR
// (vrrp_rt_priority), so adverts go out and are heard on time however busy
// the host is: a starved keepalived misses adverts and its peers take the
// VIP from a live holder. Priority 10 is above every ordinary task and
// below the kernel's threaded interrupt handlers (50). Where the host
// grants no real-time budget the kernel refuses SCHED_RR; keepalived then
// also leaves its nice value alone (vrrp_priority is not applied beside a
// refused vrrp_rt_priority, seen with 2.3.3), so the agent gives
// keepalived the highest nice value itself: less than real time, but it
// halved the VIP's moves under load in the lab.
const (
	RTPriority   = 10
	NicePriority = -20
	// RTRuntime is the real-time budget skep-keepalived's cgroup gets, in
	// microseconds per second (the period), on hosts whose kernel
	// schedules real-time tasks by cgroup: 5% of a CPU, far above what
	// keepalived uses (a few adverts a second), and it bounds a runaway.
	RTRuntime = 50000
)

// ensurePriority waits until keepalived's VRRP process has set its own
// scheduling, says in the log how it runs, and where it is not real-time
// renices keepalived's processes to NicePriority (CAP_SYS_NICE allows it).
func ensurePriority(ctx context.Context, parent int, logf func(string, ...any)) {
	var kids []int
	for i := 0; len(kids) == 0; i++ {
		if i == 50 {
			logf("keepalived started no VRRP process within 5s; its scheduling is not known")
			return
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return
		}
		kids = children(parent)
	}
	// The child sets its policy as it starts, before it sends adverts.
	if !sleep(ctx, time.Second) {
		return
	}
	for _, pid := range children(parent) {
		policy, prio, _, err := scheduling(pid)
		if err != nil {
			continue
		}
		if policy == schedRR || policy == schedFIFO {
			logf("keepalived's VRRP process %d runs real-time (%s, priority %d)", pid, policyName(policy), prio)
			continue
		}
		for _, p := range []int{parent, pid} {
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, p, NicePriority); err != nil {
				logf("renice keepalived process %d: %v", p, err)
			}
		}
		logf("keepalived's VRRP process %d runs without real-time scheduling (%s; the host grants it no real-time budget), at nice %d instead: a busy host may lose the VIP", pid, policyName(policy), NicePriority)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

const (
	schedOther = 0
	schedFIFO  = 1
	schedRR    = 2
)

func policyName(p int) string {
	switch p {
	case schedOther:
		return "SCHED_OTHER"
	case schedFIFO:
		return "SCHED_FIFO"
	case schedRR:
		return "SCHED_RR"
	}
	return "policy " + strconv.Itoa(p)
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, d := range dirs {
		data, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		f := statFields(string(data))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			if child, err := strconv.Atoi(filepath.Base(filepath.Dir(d))); err == nil {
				out = append(out, child)
			}
		}
	}
	return out
}

// scheduling reads a process's policy, real-time priority and nice value
// from /proc/PID/stat.
func scheduling(pid int) (policy, rtPrio, nice int, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	return parseScheduling(string(data))
}

// parseScheduling picks fields 19 (nice), 40 (rt_priority) and 41
// (policy) of a /proc/PID/stat line (proc(5)).
func parseScheduling(stat string) (policy, rtPrio, nice int, err error) {
	f := statFields(stat)
	// statFields starts at field 3 (state).
	if len(f) < 41-2 {
		return 0, 0, 0, fmt.Errorf("short stat line")
	}
	nice, err1 := strconv.Atoi(f[19-3])
	rtPrio, err2 := strconv.Atoi(f[40-3])
	policy, err3 := strconv.Atoi(f[41-3])
	for _, e := range []error{err1, err2, err3} {
		if e != nil {
			return 0, 0, 0, e
		}
	}
	return policy, rtPrio, nice, nil
}

// statFields splits a /proc/PID/stat line after the command name (which
// may hold spaces and parentheses), so index 0 is field 3, state.
func statFields(stat string) []string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(stat[i+1:])
}
