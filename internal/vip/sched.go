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

	"golang.org/x/sys/unix"
)

// Real-time scheduling. keepalived's VRRP process runs SCHED_RR, so
// adverts go out and are heard on time however busy the host is: a starved
// keepalived misses adverts and its peers take the VIP from a live holder.
// Priority 10 is above every ordinary task and below the kernel's threaded
// interrupt handlers (50).
//
// The agent sets it, not keepalived (its config has no vrrp_rt_priority):
// keepalived pairs real-time with an RLIMIT_RTTIME it sets itself, and on
// a reload (SIGHUP, how apply changes the config without moving the VIP)
// keepalived 2.3 first sets that limit to a zeroed value, then fails to
// raise it again without CAP_SYS_RESOURCE (which hosts may not grant, this
// lab's among them). The VRRP process then ran real-time under a zero
// limit and the kernel killed it seconds later: the holder went silent and
// the VIP moved on every reload. Set from outside, keepalived never
// touches the limit, and its process keeps its policy across reloads.
//
// Where the host grants no real-time budget the kernel refuses SCHED_RR;
// the agent then gives keepalived the highest nice value instead: less
// than real time, but it halved the VIP's moves under load in the lab.
const (
	RTPriority   = 10
	NicePriority = -20
	// RTRuntime is the real-time budget skep-keepalived's cgroup gets, in
	// microseconds per second (the period), on hosts whose kernel
	// schedules real-time tasks by cgroup: 5% of a CPU, far above what
	// keepalived uses (a few adverts a second), and it bounds a runaway.
	RTRuntime = 50000
	// RTTimeLimit bounds the CPU time the real-time VRRP process may use
	// without blocking (RLIMIT_RTTIME, soft and hard alike: the kernel
	// kills it past the limit, and keepalived starts a new one, which the
	// agent makes real-time again). keepalived's own default is 10 ms;
	// 200 ms leaves room for a reload's parsing, which now runs real-time,
	// while a runaway loop still ends within a fifth of a second.
	RTTimeLimit = 200 * time.Millisecond
	// schedCheckInterval is how often the agent looks for a VRRP process
	// that is not scheduled as it should be (a new one after a respawn).
	schedCheckInterval = time.Second
)

// keepRealTime makes each of keepalived's VRRP processes (the children of
// parent) real-time as it appears, and says in the log how each runs.
// Where the kernel refuses real time it renices keepalived to
// NicePriority instead (CAP_SYS_NICE allows both).
func keepRealTime(ctx context.Context, parent int, logf func(string, ...any)) {
	done := map[int]bool{}
	// The first child appears within milliseconds of the start; look
	// often until then, so its first adverts already go out real-time.
	interval := 50 * time.Millisecond
	for {
		for _, pid := range children(parent) {
			if !done[pid] {
				done[pid] = schedule(parent, pid, logf)
			}
			interval = schedCheckInterval
		}
		if !sleep(ctx, interval) {
			return
		}
	}
}

// schedule makes pid real-time (or, refused, reniced) and reports whether
// it is settled.
func schedule(parent, pid int, logf func(string, ...any)) bool {
	policy, _, _, err := scheduling(pid)
	if err != nil {
		return false // gone, or not readable yet: look again
	}
	if policy == schedRR || policy == schedFIFO {
		return true
	}
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: schedRR, Priority: RTPriority}
	err = unix.SchedSetAttr(pid, &attr, 0)
	if err == nil {
		limit := uint64(RTTimeLimit / time.Microsecond)
		if lerr := unix.Prlimit(pid, unix.RLIMIT_RTTIME, &unix.Rlimit{Cur: limit, Max: limit}, nil); lerr != nil {
			logf("limit keepalived's real-time CPU time (process %d): %v", pid, lerr)
		}
		logf("keepalived's VRRP process %d runs real-time (SCHED_RR, priority %d)", pid, RTPriority)
		return true
	}
	for _, p := range []int{parent, pid} {
		if nerr := syscall.Setpriority(syscall.PRIO_PROCESS, p, NicePriority); nerr != nil {
			logf("renice keepalived process %d: %v", p, nerr)
		}
	}
	logf("keepalived's VRRP process %d runs without real-time scheduling (%v: the host grants it no real-time budget), at nice %d instead: a busy host may lose the VIP", pid, err, NicePriority)
	return true
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
