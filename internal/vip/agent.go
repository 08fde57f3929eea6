package vip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Files the agent and keepalived share in the container's /run (a tmpfs:
// a restarted container starts from nothing, never from a stale bonus).
const (
	RunDir = "/run/skep-vip"
	// CheckFile holds 0 while the tracked service answers and 1 once it
	// does not (keepalived's track_file skep_check, weight -CheckWeight).
	CheckFile = RunDir + "/check"
	// MasterFile holds 1 while this host is the master (track_file
	// skep_master, weight MasterBonus).
	MasterFile = RunDir + "/master"
	// NotifyFIFO is where keepalived writes its state changes
	// (vrrp_notify_fifo); the agent turns them into MasterFile.
	NotifyFIFO = RunDir + "/notify"
)

// keepalivedArgs run keepalived in the foreground (-n) as the agent's
// child, logging to stdout for docker logs (-l -D), VRRP only (-P: no
// IPVS, which the kernel may lack and the VIP does not need). The config
// is mounted at ConfigDir, not /etc/keepalived, which holds the package's
// build options file keepalived reads at start.
var keepalivedArgs = []string{"-n", "-l", "-D", "-P", "-f", ConfigPath}

// AgentOptions configures RunAgent.
type AgentOptions struct {
	Check      Check
	Keepalived string // the program; "keepalived" on PATH when empty
	// Dir holds the track files and the FIFO under the names keepalived's
	// config gives them; RunDir when empty (tests use their own).
	Dir  string
	Logf func(string, ...any)
}

// RunAgent is the entrypoint of skep-keepalived. It checks the tracked
// service over and over without forking (one kept-alive HTTP connection)
// and writes the result to CheckFile, turns keepalived's state changes
// (read from NotifyFIFO) into MasterFile, and runs keepalived as its
// child: SIGHUP and SIGTERM are passed on, and the agent returns when
// keepalived exits, so the container (restart always) starts both again.
// keepalived itself therefore runs no script at all: nothing forks while
// the VIP is held, and nothing it waits for can be starved.
func RunAgent(ctx context.Context, o AgentOptions) error {
	if o.Keepalived == "" {
		o.Keepalived = "keepalived"
	}
	if o.Dir == "" {
		o.Dir = RunDir
	}
	checkFile := filepath.Join(o.Dir, filepath.Base(CheckFile))
	masterFile := filepath.Join(o.Dir, filepath.Base(MasterFile))
	notify := filepath.Join(o.Dir, filepath.Base(NotifyFIFO))
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	// A keepalived that starts is not the master yet.
	if err := writeValue(masterFile, 0); err != nil {
		return err
	}
	if err := syscall.Mkfifo(notify, 0o600); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("notify fifo: %w", err)
	}
	// Opened read-write: keepalived closing and reopening it (on a reload)
	// is then never an end of file for the agent.
	fifo, err := os.OpenFile(notify, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("notify fifo: %w", err)
	}
	defer fifo.Close()

	// The first answer sets the check file before keepalived starts, so it
	// never runs on a value the agent did not write.
	p := newProber(o.Check)
	first := p.probe(ctx)
	h := &health{up: first == nil}
	if err := writeValue(checkFile, boolValue(!h.up)); err != nil {
		return err
	}
	o.Logf("checking %s every %s (timeout %s, fall %d, rise %d): %s", p.url, CheckInterval, CheckTimeout, CheckFall, CheckRise, upWord(h.up, first))

	cmd := exec.Command(o.Keepalived, keepalivedArgs...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Signals are handled before keepalived starts, so none is lost.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start keepalived: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// The loops end with the agent; keepalived's exit ends the agent. The
	// caller's context is not used to stop keepalived: a SIGTERM reaches
	// keepalived through the forwarding below and it gives the VIP up
	// cleanly (a priority-0 advert) before it exits.
	loops, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	go followNotify(fifo, masterFile, o.Logf)
	go checkLoop(loops, p, h, checkFile, o.Logf)
	go keepRealTime(loops, cmd.Process.Pid, o.Logf)

	stopping := false
	for {
		select {
		case s := <-sigs:
			stopping = stopping || s != syscall.SIGHUP
			cmd.Process.Signal(s)
		case err := <-exited:
			if stopping {
				// Asked to stop (docker stop): keepalived gave the VIP up.
				return nil
			}
			if err != nil {
				return fmt.Errorf("keepalived exited: %w", err)
			}
			return errors.New("keepalived exited")
		}
	}
}

// checkLoop asks the check every CheckInterval and rewrites CheckFile when
// the state changes (fall and rise applied).
func checkLoop(ctx context.Context, p *prober, h *health, file string, logf func(string, ...any)) {
	tick := time.NewTicker(CheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := p.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		if !h.observe(err == nil) {
			continue
		}
		if werr := writeValue(file, boolValue(!h.up)); werr != nil {
			logf("write %s: %v", file, werr)
		}
		logf("%s: %s", p.url, upWord(h.up, err))
	}
}

// boolValue is a track file's value: 1 for true, 0 for false.
func boolValue(b bool) int {
	if b {
		return 1
	}
	return 0
}

func upWord(up bool, err error) string {
	if up {
		return "answers"
	}
	if err == nil {
		return "does not answer"
	}
	return "does not answer (" + err.Error() + ")"
}

// followNotify reads keepalived's state changes, lines such as
// `INSTANCE "skep" MASTER 250`, and writes MasterFile: 1 while the
// instance is the master, else 0, rewriting it only when that changes.
func followNotify(fifo *os.File, file string, logf func(string, ...any)) {
	sc := bufio.NewScanner(fifo)
	last := -1
	for sc.Scan() {
		master, ok := parseNotify(sc.Text())
		if !ok {
			continue
		}
		logf("keepalived: %s", strings.TrimSpace(sc.Text()))
		if v := boolValue(master); v != last {
			if err := writeValue(file, v); err != nil {
				logf("write %s: %v", file, err)
				continue
			}
			last = v
		}
	}
}

// parseNotify reads one vrrp_notify_fifo line: whether it is about an
// instance, and whether the instance is the master. Besides the states
// MASTER, BACKUP, FAULT and STOP, keepalived 2.3 writes events of a master
// (MASTER_RX_LOWER_PRI, MASTER_PRIORITY) and of a backup
// (BACKUP_PRIORITY), which do not change who is the master.
func parseNotify(line string) (master, ok bool) {
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "INSTANCE" {
		return false, false
	}
	return f[2] == "MASTER" || strings.HasPrefix(f[2], "MASTER_"), true
}

// writeValue replaces a track file through a temporary file, so keepalived
// (which rereads it when it changes) never reads half a value.
func writeValue(path string, v int) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", v)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
