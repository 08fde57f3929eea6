package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/lab"
	"skep/internal/poll"
	"skep/internal/status"
	"skep/internal/vip"
)

// IdleOptions configures the idle-cost benchmark.
type IdleOptions struct {
	Lab    string // name of the throwaway lab, or of the lab to measure when Existing
	Window time.Duration
	// Existing measures a lab that is already up, in place, and leaves it
	// as it was (no lab is made or removed, nothing is paused).
	Existing bool
	Logf     func(string, ...any)
}

// IdleGoal is what a healthy idle 3-node lab may cost this machine.
const IdleGoal = 15.0

// Idle measures what a healthy, idle lab costs the machine: CPU busy (all
// cores, from /proc/stat), the lab node containers' own share (their
// cgroups), and new processes a second, over one window. Beside it: the
// machine before the lab existed, and the same lab with keepalived frozen
// on every node (what the VIP's keepalived and its checks cost).
func Idle(ctx context.Context, cli *client.Client, o IdleOptions) ([]Row, error) {
	if o.Window <= 0 {
		o.Window = 30 * time.Second
	}
	var rows []Row
	var before idleLoad
	var l *lab.Lab
	var c *config.Cluster
	if o.Existing {
		var err error
		if l, err = lab.Load(o.Lab); err != nil {
			return nil, err
		}
		if c, err = config.Load(l.ClusterFile); err != nil {
			return nil, err
		}
	} else {
		o.Logf("measuring the machine without the lab for %s", o.Window)
		var err error
		if before, err = measure(ctx, o.Window, nil); err != nil {
			return nil, err
		}
		var release func()
		l, c, release, err = ownLab(ctx, cli, o.Lab, o.Logf, nil)
		defer release()
		if err != nil {
			return nil, err
		}
	}
	if err := waitHealthy(ctx, c, 3*time.Minute, o.Logf); err != nil {
		return nil, err
	}
	// Whatever apply started settles (the first certificates, Traefik's
	// first provider rounds) before the window opens.
	if !o.Existing {
		_ = poll.Sleep(ctx, 30*time.Second) // an ended ctx fails the next step
	}
	cgroups, err := nodeCgroups(ctx, cli, l)
	if err != nil {
		return nil, err
	}
	o.Logf("measuring the idle lab for %s", o.Window)
	idle, err := measure(ctx, o.Window, cgroups)
	if err != nil {
		return nil, err
	}
	versus := fmt.Sprintf("goal < %.0f%%", IdleGoal)
	if !o.Existing {
		versus += fmt.Sprintf("; machine without the lab %.1f%%", before.busy)
	}
	rows = append(rows,
		Row{fmt.Sprintf("idle lab: machine CPU busy (%d cores, %s)", idle.cores, Secs(o.Window)), fmt.Sprintf("%.1f%%", idle.busy), versus},
		Row{"idle lab: the node containers' share (their cgroups)", fmt.Sprintf("%.1f%%", idle.nodes), ""},
	)
	procs := Row{"idle lab: new processes a second (whole machine)", fmt.Sprintf("%.1f/s", idle.forks), ""}
	if !o.Existing {
		procs.Versus = fmt.Sprintf("machine without the lab %.1f/s", before.forks)
	}
	rows = append(rows, procs)
	if o.Existing {
		return rows, nil
	}

	// keepalived frozen: what the VIP costs of the idle figure.
	o.Logf("measuring again with %s paused on every node", vip.ContainerName)
	for _, h := range c.VIPHosts() {
		if _, err := execNode(ctx, cli, l, h.Name, "docker pause "+vip.ContainerName, nil); err != nil {
			return nil, err
		}
	}
	paused, err := measure(ctx, o.Window, cgroups)
	for _, h := range c.VIPHosts() {
		execNode(context.WithoutCancel(ctx), cli, l, h.Name, "docker unpause "+vip.ContainerName, nil)
	}
	if err != nil {
		return nil, err
	}
	rows = append(rows, Row{"same lab, keepalived paused everywhere: machine CPU busy", fmt.Sprintf("%.1f%%", paused.busy),
		fmt.Sprintf("the VIP costs %.1f points, %.1f processes/s", idle.busy-paused.busy, idle.forks-paused.forks)})
	return rows, nil
}

// waitHealthy polls status until it says healthy.
func waitHealthy(ctx context.Context, c *config.Cluster, limit time.Duration, logf func(string, ...any)) error {
	return poll.Until(ctx, "the lab healthy", 5*time.Second, limit, func(ctx context.Context) error {
		r := status.Collect(ctx, c, status.Options{Sections: apply.StatusSections(c)})
		if r.Healthy {
			return nil
		}
		logf("waiting for a healthy lab: %s", strings.Join(r.Problems, "; "))
		return errors.New(strings.Join(r.Problems, "; "))
	})
}

// idleLoad is one window's figures: percentages of the whole machine.
type idleLoad struct {
	cores int
	busy  float64 // all CPUs busy, % of the machine
	nodes float64 // the lab nodes' cgroups, % of the machine
	forks float64 // new processes a second
}

// measure samples /proc/stat and the cgroups' CPU usage at both ends of
// the window.
func measure(ctx context.Context, window time.Duration, cgroups []string) (idleLoad, error) {
	s0, err := readStat()
	if err != nil {
		return idleLoad{}, err
	}
	n0 := cgroupsUsage(cgroups)
	t0 := time.Now()
	if err := poll.Sleep(ctx, window); err != nil {
		return idleLoad{}, err
	}
	s1, err := readStat()
	if err != nil {
		return idleLoad{}, err
	}
	n1 := cgroupsUsage(cgroups)
	elapsed := time.Since(t0)
	l := idleLoad{cores: s1.cores}
	if total := s1.total - s0.total; total > 0 {
		l.busy = 100 * float64((s1.total-s1.idle)-(s0.total-s0.idle)) / float64(total)
	}
	if s1.cores > 0 {
		l.nodes = 100 * float64(n1-n0) / float64(elapsed.Nanoseconds()) / float64(s1.cores)
	}
	l.forks = float64(s1.procs-s0.procs) / elapsed.Seconds()
	return l, nil
}

// procStat is what /proc/stat says: jiffies of all CPUs (total, and idle
// plus iowait), the number of CPUs and the processes made since boot.
type procStat struct {
	total, idle, procs uint64
	cores              int
}

func readStat() (procStat, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return procStat{}, err
	}
	defer f.Close()
	return parseStat(bufio.NewScanner(f))
}

func parseStat(sc *bufio.Scanner) (procStat, error) {
	var s procStat
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) > 4 && f[0] == "cpu":
			for i, v := range f[1:] {
				n, _ := strconv.ParseUint(v, 10, 64)
				// guest and guest_nice (9th, 10th) are already in user and nice.
				if i < 8 {
					s.total += n
				}
				if i == 3 || i == 4 { // idle, iowait
					s.idle += n
				}
			}
		case len(f) > 1 && strings.HasPrefix(f[0], "cpu"):
			s.cores++
		case len(f) == 2 && f[0] == "processes":
			s.procs, _ = strconv.ParseUint(f[1], 10, 64)
		}
	}
	if s.total == 0 {
		return s, fmt.Errorf("/proc/stat has no cpu line")
	}
	return s, sc.Err()
}

// nodeCgroups finds the files holding each lab node container's CPU usage
// on this machine: cpuacct.usage (cgroup v1, nanoseconds) or cpu.stat
// (cgroup v2, usage_usec), from the cgroup of the container's first
// process.
func nodeCgroups(ctx context.Context, cli *client.Client, l *lab.Lab) ([]string, error) {
	var files []string
	for i := 1; i <= l.Nodes; i++ {
		info, err := cli.ContainerInspect(ctx, lab.ContainerName(l.Name, fmt.Sprintf("node%d", i)))
		if err != nil {
			return nil, err
		}
		if info.State == nil || info.State.Pid == 0 {
			return nil, fmt.Errorf("%s is not running", info.Name)
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", info.State.Pid))
		if err != nil {
			return nil, err
		}
		if f := usageFile(string(data)); f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

// usageFile picks the CPU usage file from a /proc/PID/cgroup text.
func usageFile(cgroup string) string {
	v2 := ""
	for _, line := range strings.Split(cgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			if ctrl == "cpuacct" {
				dir := "/sys/fs/cgroup/" + parts[1]
				if _, err := os.Stat(dir); err != nil {
					dir = "/sys/fs/cgroup/cpuacct"
				}
				return filepath.Join(dir, parts[2], "cpuacct.usage")
			}
		}
		if parts[0] == "0" && parts[1] == "" {
			v2 = filepath.Join("/sys/fs/cgroup", parts[2], "cpu.stat")
		}
	}
	return v2
}

// cgroupsUsage sums the cgroups' CPU time in nanoseconds.
func cgroupsUsage(files []string) uint64 {
	var sum uint64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if strings.HasSuffix(f, "cpu.stat") {
			for _, line := range strings.Split(string(data), "\n") {
				if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
					n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
					sum += n * 1000
				}
			}
			continue
		}
		n, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
		sum += n
	}
	return sum
}
