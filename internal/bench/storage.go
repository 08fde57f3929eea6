package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/host"
	"skep/internal/lab"
	"skep/internal/status"
	"skep/internal/storage"
)

// StorageOptions configures the storage benchmark.
type StorageOptions struct {
	Lab  string // name of the throwaway lab
	MiB  int    // size of the sequential file
	Logf func(string, ...any)
}

// Where node1 writes: the shared volume, and beside the brick on the same
// disk (the node's /var/lib/skep), which is the fair local baseline.
const (
	benchShared = "/var/data/skep-bench"
	benchLocal  = "/var/lib/skep/bench-local"
	smallFiles  = 1000
	// stallLimit bounds one frozen-node measurement.
	stallLimit = 3 * time.Minute
)

// Storage measures, on one lab: sequential write and read throughput and
// small-file creates on the shared volume against the node's local disk,
// and how long I/O stalls while one node is frozen with GlusterFS's stock
// options and with skep's, and how fast the thawed node heals. Only the
// lab's containers are contacted.
func Storage(ctx context.Context, cli *client.Client, o StorageOptions) ([]Row, error) {
	if o.MiB <= 0 {
		o.MiB = 128
	}
	// The swarm and the storage only: other components do not change how
	// GlusterFS performs, and building them would only slow the benchmark.
	l, c, release, err := ownLab(ctx, cli, o.Lab, o.Logf, func(full *config.Cluster) *config.Cluster {
		return &config.Cluster{Name: full.Name, SSH: full.SSH, Hosts: full.Hosts, Swarm: full.Swarm, Storage: full.Storage, Path: full.Path}
	})
	defer release()
	if err != nil {
		return nil, err
	}
	if c.Storage == nil {
		return nil, fmt.Errorf("lab %s has no storage section", o.Lab)
	}
	hosts, err := host.DialAll(ctx, host.Targets(c, false, 10*time.Second))
	defer func() {
		for _, h := range hosts {
			h.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	b := &storageBench{cli: cli, lab: l, c: c, hosts: hosts, logf: o.Logf}

	var rows []Row
	io, err := b.throughput(ctx, o.MiB)
	if err != nil {
		return nil, err
	}
	rows = append(rows, io...)

	// skep's options first (as applied), then stock, then apply again.
	skepStall, err := b.frozenStall(ctx, "skep's options")
	if err != nil {
		return nil, err
	}
	if err := b.resetToStock(ctx); err != nil {
		return nil, err
	}
	stockStall, err := b.frozenStall(ctx, "stock options")
	if err != nil {
		return nil, err
	}
	o.Logf("applying again: skep's options come back")
	res, err := apply.Run(ctx, apply.Options{Cluster: c, Wet: true, Logf: func(string, string, ...any) {}})
	if err != nil {
		return nil, fmt.Errorf("apply after the stock run: %w", err)
	}
	afterApply, err := b.waitHealed(ctx, healLimit)
	if err != nil {
		return nil, err
	}
	rows = append(rows,
		Row{"write stall on node1, node3 frozen", Secs(skepStall.write), "stock " + Secs(stockStall.write) + ", ratio " + Ratio(skepStall.write, stockStall.write)},
		Row{"then read stall on node2", Secs(skepStall.read), "stock " + Secs(stockStall.read) + ", ratio " + Ratio(skepStall.read, stockStall.read)},
		Row{"healed after unpause (status: bricks online, 0 pending)", healFigure(skepStall.heal), "stock " + healFigure(stockStall.heal)},
		Row{fmt.Sprintf("apply restoring skep's options (%d changes)", len(res.Steps)), Secs(res.Elapsed), "then healed in " + healFigure(afterApply)},
	)
	return rows, nil
}

type storageBench struct {
	cli   *client.Client
	lab   *lab.Lab
	c     *config.Cluster
	hosts map[string]*host.Host
	logf  func(string, ...any)
}

// run runs a script on a node and returns its last output line as
// milliseconds (scripts print their own elapsed time, so SSH's round trip
// is not counted).
func (b *storageBench) millis(ctx context.Context, node, script string) (time.Duration, error) {
	out, err := b.hosts[node].Sudo(ctx, script)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", node, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	ms, err := strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: unexpected output %q", node, out)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// timed wraps commands so the script prints their elapsed milliseconds.
func timed(cmd string) string {
	return `s=$(date +%s%N); ` + cmd + `; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`
}

// dropCaches empties the page cache (one kernel serves every lab node), so
// reads come from the disks and the bricks, not from memory.
const dropCaches = "sync; echo 3 > /proc/sys/vm/drop_caches"

func (b *storageBench) throughput(ctx context.Context, mib int) ([]Row, error) {
	type figures struct{ write, read, small time.Duration }
	measure := func(dir string) (figures, error) {
		var f figures
		var err error
		setup := fmt.Sprintf("rm -rf %[1]s && mkdir -p %[1]s/small", dir)
		if _, err := b.hosts["node1"].Sudo(ctx, setup); err != nil {
			return f, err
		}
		if f.write, err = b.millis(ctx, "node1", timed(fmt.Sprintf("dd if=/dev/zero of=%s/seq bs=1M count=%d conv=fsync status=none", dir, mib))); err != nil {
			return f, err
		}
		if _, err := b.hosts["node1"].Sudo(ctx, dropCaches); err != nil {
			return f, err
		}
		if f.read, err = b.millis(ctx, "node1", timed(fmt.Sprintf("dd if=%s/seq of=/dev/null bs=1M status=none", dir))); err != nil {
			return f, err
		}
		create := fmt.Sprintf("cd %s/small && i=0; while [ $i -lt %d ]; do echo data > f$i; i=$((i+1)); done; sync .", dir, smallFiles)
		if f.small, err = b.millis(ctx, "node1", timed(create)); err != nil {
			return f, err
		}
		_, err = b.hosts["node1"].Sudo(ctx, "rm -rf "+dir)
		return f, err
	}
	b.logf("measuring %d MiB sequential write and read and %d small files on node1's local disk", mib, smallFiles)
	local, err := measure(benchLocal)
	if err != nil {
		return nil, fmt.Errorf("local disk: %w", err)
	}
	b.logf("measuring the same on %s", b.c.Storage.Mount)
	shared, err := measure(benchShared)
	if err != nil {
		return nil, fmt.Errorf("shared volume: %w", err)
	}
	mbps := func(d time.Duration) float64 { return float64(mib) * 1.048576 / d.Seconds() }
	perSec := func(d time.Duration) float64 { return smallFiles / d.Seconds() }
	return []Row{
		{fmt.Sprintf("sequential write, %d MiB, fsync", mib), fmt.Sprintf("%.1f MB/s", mbps(shared.write)),
			fmt.Sprintf("local disk %.1f MB/s, ratio %.3f", mbps(local.write), mbps(shared.write)/mbps(local.write))},
		{"sequential read, caches dropped", fmt.Sprintf("%.1f MB/s", mbps(shared.read)),
			fmt.Sprintf("local disk %.1f MB/s, ratio %.3f", mbps(local.read), mbps(shared.read)/mbps(local.read))},
		{fmt.Sprintf("small files created (%d x 5 bytes)", smallFiles), fmt.Sprintf("%.0f files/s", perSec(shared.small)),
			fmt.Sprintf("local disk %.0f files/s, ratio %.3f", perSec(local.small), perSec(shared.small)/perSec(local.small))},
	}, nil
}

type stall struct{ write, read, heal time.Duration }

// frozenStall freezes node3, times a 1 MiB write with sync on node1 and then
// a read of that file on node2, thaws node3 and waits until status shows
// the volume healed.
func (b *storageBench) frozenStall(ctx context.Context, setting string) (stall, error) {
	var s stall
	f := fmt.Sprintf("%s-frozen-%d", benchShared, time.Now().UnixNano())
	b.logf("%s: freezing node3", setting)
	if err := b.lab.Inflict(ctx, b.cli, "node3", lab.Pause); err != nil {
		return s, err
	}
	thawed := false
	thaw := func() error {
		if thawed {
			return nil
		}
		thawed = true
		return b.lab.Inflict(context.WithoutCancel(ctx), b.cli, "node3", lab.Unpause)
	}
	defer thaw()
	mctx, cancel := context.WithTimeout(ctx, stallLimit)
	defer cancel()
	var err error
	if s.write, err = b.millis(mctx, "node1", timed("head -c 1048576 /dev/urandom > "+f+" && sync "+f)); err != nil {
		return s, fmt.Errorf("%s: write with node3 frozen: %w", setting, err)
	}
	if s.read, err = b.millis(mctx, "node2", timed("cat "+f+" >/dev/null")); err != nil {
		return s, fmt.Errorf("%s: read with node3 frozen: %w", setting, err)
	}
	b.logf("%s: write %s, read %s; thawing node3", setting, Secs(s.write), Secs(s.read))
	if err := thaw(); err != nil {
		return s, err
	}
	// With stock options the heal may wait for the daemon's 10-minute
	// crawl; the wait is bounded and an unfinished heal reported as such.
	if s.heal, err = b.waitHealed(ctx, healLimit); err != nil {
		return s, err
	}
	return s, nil
}

// healLimit bounds the wait for a heal after a thaw.
const healLimit = 90 * time.Second

// waitHealed polls status until the volume is healed, returning how long
// that took, or -1 when it did not within limit.
func (b *storageBench) waitHealed(ctx context.Context, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for time.Since(start) < limit {
		r := status.Collect(ctx, b.c, status.Options{Sections: apply.StatusSections(b.c)})
		if healed(r.Storage) {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return -1, nil
}

// healFigure renders a heal time, or that it did not finish.
func healFigure(d time.Duration) string {
	if d < 0 {
		return "not within " + Secs(healLimit)
	}
	return Secs(d)
}

func healed(st *status.Storage) bool {
	if st == nil || st.PendingHeal != 0 || st.SplitBrain != 0 || len(st.MountedOn) != 3 {
		return false
	}
	for _, b := range st.Bricks {
		if !b.Online {
			return false
		}
	}
	return true
}

// resetToStock resets skep's volume options to GlusterFS's defaults.
func (b *storageBench) resetToStock(ctx context.Context) error {
	for key := range storage.StockOptions {
		cmd := storage.Gluster("volume", "reset", b.c.Storage.Volume, key)
		if _, err := b.hosts["node1"].Sudo(ctx, cmd); err != nil {
			return fmt.Errorf("reset %s: %w", key, err)
		}
	}
	b.logf("volume options reset to GlusterFS's defaults (network.ping-timeout 42)")
	return nil
}
