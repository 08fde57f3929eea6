package bench

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/lab"
	"skep/internal/status"
)

// Target is the kind of node a fault of the matrix hits, chosen on a
// healthy lab just before the fault.
type Target string

const (
	TargetLeader Target = "leader" // the swarm's raft leader
	TargetVIP    Target = "vip"    // the VIP's holder
	TargetApp    Target = "app"    // the node running the app's single task
)

// Cell is one fault of the matrix on one kind of node.
type Cell struct {
	Fault  lab.Fault // lab.Kill, lab.Pause or lab.Partition
	Target Target
}

func (c Cell) String() string { return string(c.Fault) + ":" + string(c.Target) }

// ParseCell reads FAULT:TARGET as the CLI and the tests name cells
// (kill:leader, pause:vip, partition:app).
func ParseCell(s string) (Cell, error) {
	f, t, ok := strings.Cut(s, ":")
	c := Cell{Fault: lab.Fault(f), Target: Target(t)}
	if !ok || undo(c.Fault) == "" {
		return c, fmt.Errorf("cell %q: want FAULT:TARGET with FAULT kill, pause or partition", s)
	}
	switch c.Target {
	case TargetLeader, TargetVIP, TargetApp:
		return c, nil
	}
	return c, fmt.Errorf("cell %q: want TARGET leader, vip or app", s)
}

// Matrix is every cell: each fault on each kind of node.
func Matrix() []Cell {
	var cells []Cell
	for _, f := range []lab.Fault{lab.Kill, lab.Pause, lab.Partition} {
		for _, t := range []Target{TargetLeader, TargetVIP, TargetApp} {
			cells = append(cells, Cell{f, t})
		}
	}
	return cells
}

// undo is the fault that reverses f.
func undo(f lab.Fault) lab.Fault {
	switch f {
	case lab.Kill:
		return lab.Start
	case lab.Pause:
		return lab.Unpause
	case lab.Partition:
		return lab.Heal
	}
	return ""
}

// Limits of one cell: each wait is bounded, so a cell that never recovers
// ends with its figure marked as not reached.
const (
	healthyBefore = 3 * time.Minute  // the lab healthy before the fault
	quietWindow   = 20 * time.Second // no failure at all this long after the fault: the app did not feel it
	movedWithin   = 3 * time.Minute  // the app's task running on another node
	healthyAfter  = 3 * time.Minute  // status healthy after the node is restored
)

// CellResult is what one cell measured. A duration of -1 means the event
// did not happen within its limit; Moved is 0 when the fault did not hit
// the node running the app.
type CellResult struct {
	Cell
	Node       string        `json:"node"`        // the node the fault hit
	AppNode    string        `json:"app_node"`    // where the app ran before the fault
	VIPOutage  time.Duration `json:"vip_outage"`  // longest time the VIP did not answer (a manager's TLS at the VIP)
	HTTPOutage time.Duration `json:"http_outage"` // longest gap between HTTPS 200s of the app through the VIP
	WriteStall time.Duration `json:"write_stall"` // slowest small synced write on the shared volume on a healthy node
	Moved      time.Duration `json:"moved"`       // fault to the app's new task running elsewhere
	Healthy    time.Duration `json:"healthy"`     // restore to status healthy, without apply
	Lost       bool          `json:"lost"`        // an acknowledged count was lost
	// PartitionedWrite is, for a partition, whether the cut-off node could
	// still write to the shared volume (it must not: client quorum).
	PartitionedWrite bool `json:"partitioned_write"`
}

// Rig runs cells on a lab that serves the counter example (or any app
// answering "count N from HOST") through the VIP over HTTPS.
type Rig struct {
	Local   *client.Client
	Lab     *lab.Lab
	Cluster *config.Cluster
	Roots   *x509.CertPool // the lab CA's roots
	Stack   string         // the app's stack
	Host    string         // the name the app answers on
	Logf    func(string, ...any)
}

// Run inflicts the cell's fault on a healthy lab while the app takes
// writes through the VIP and a healthy node writes to the shared volume,
// then restores the node and times the way back to a healthy status.
func (r *Rig) Run(ctx context.Context, cell Cell) (CellResult, error) {
	res := CellResult{Cell: cell, Moved: 0}
	if err := waitHealthy(ctx, r.Cluster, healthyBefore, r.Logf); err != nil {
		return res, fmt.Errorf("%s: before the fault: %w", cell, err)
	}
	var err error
	if res.AppNode, err = r.appNode(ctx); err != nil {
		return res, err
	}
	if res.Node, err = r.target(ctx, cell.Target, res.AppNode); err != nil {
		return res, err
	}
	writer, err := r.healthyManager(res.Node)
	if err != nil {
		return res, err
	}
	r.Logf("%s: %s on %s (the app runs on %s); %s writes to the shared volume", cell, cell.Fault, res.Node, res.AppNode, writer)

	httpc, url := r.client()
	stopWrites, writes := r.startWriter(ctx, writer)
	vipProbe := startProber(ctx, r.Lab.VIP)
	var moved <-chan time.Duration
	inflicted := false
	restore := func() error {
		if !inflicted {
			return nil
		}
		inflicted = false
		return r.Lab.Inflict(context.WithoutCancel(ctx), r.Local, res.Node, undo(cell.Fault))
	}
	defer restore()
	ss, err := sampleFailover(ctx, httpc, url, func() error {
		faultAt := time.Now()
		r.Logf("%s: fault at %s", cell, faultAt.Format("15:04:05.000"))
		if res.Node == res.AppNode {
			moved = r.watchMove(ctx, res.AppNode, faultAt)
		}
		inflicted = true
		return r.Lab.Inflict(ctx, r.Local, res.Node, cell.Fault)
	})
	faultAt := faultTime(ss)
	vipProbe.stop()
	res.VIPOutage, _ = vipProbe.outage(faultAt)
	if moved != nil {
		res.Moved = <-moved
	}
	if cell.Fault == lab.Partition {
		res.PartitionedWrite = r.canWrite(ctx, res.Node)
	}
	stall, werr := stopWrites()
	res.WriteStall = stall
	o := analyze(ss)
	res.HTTPOutage = o.gap
	if !o.recovered {
		res.HTTPOutage = -1
	}
	res.Lost = o.lost
	if err = errors.Join(err, werr); err != nil {
		return res, fmt.Errorf("%s: %w", cell, err)
	}
	r.Logf("%s: %s on %s: app %s, VIP %s, writes %s (%d); restoring", cell, cell.Fault, res.Node, o, Secs(res.VIPOutage), Secs(stall), <-writes)

	restoreAt := time.Now()
	if err := restore(); err != nil {
		return res, err
	}
	res.Healthy = -1
	// What status still finds wrong is logged as it waits: the slow part
	// of a recovery is the thing to see.
	if err := waitHealthy(ctx, r.Cluster, healthyAfter, r.Logf); err == nil {
		res.Healthy = time.Since(restoreAt)
	}
	// A count acknowledged before the fault must be below the one
	// answered now: the app's state survived on the shared volume. The
	// question is the count, not whether one request got through (the
	// outage figures say that), so it is asked until the app answers,
	// within afterRecovery.
	last := ask(ctx, httpc, url)
	for end := time.Now().Add(afterRecovery); !last.ok && time.Now().Before(end); last = ask(ctx, httpc, url) {
		time.Sleep(outagePoll)
	}
	switch top := highest(ss); {
	case !last.ok:
		return res, fmt.Errorf("%s: the app did not answer within %s of a healthy status after the restore", cell, afterRecovery)
	case last.count <= top:
		res.Lost = true
		r.Logf("%s: after the restore the app counted %d; the highest acknowledged before was %d", cell, last.count, top)
	}
	return res, nil
}

// client asks the app through the VIP, one connection per request (a
// connection kept to a Traefik that died with its node would hang, not
// fail), checking the certificate against the lab's CA.
func (r *Rig) client() (*http.Client, string) {
	c := newClient(r.Lab.VIP+":443", r.Host, 1, r.Roots)
	c.Transport.(*http.Transport).DisableKeepAlives = true
	c.Timeout = requestWait
	return c, "https://" + r.Host + "/"
}

// target picks the node the cell's fault hits.
func (r *Rig) target(ctx context.Context, t Target, appNode string) (string, error) {
	if t == TargetApp {
		return appNode, nil
	}
	rep := status.Collect(ctx, r.Cluster, status.Options{Sections: apply.StatusSections(r.Cluster)})
	switch t {
	case TargetLeader:
		for _, n := range rep.Nodes {
			if n.Leader {
				return n.Name, nil
			}
		}
		return "", errors.New("status names no swarm leader")
	case TargetVIP:
		if rep.VIP == nil || rep.VIP.Holder == "" {
			return "", errors.New("status names no VIP holder")
		}
		return rep.VIP.Holder, nil
	}
	return "", fmt.Errorf("unknown target %q", t)
}

// healthyManager is a brick-holding manager other than the victim: it
// writes to the shared volume during the fault.
func (r *Rig) healthyManager(victim string) (string, error) {
	for _, h := range r.Cluster.Managers() {
		if h.Name != victim {
			return h.Name, nil
		}
	}
	return "", fmt.Errorf("no manager other than %s", victim)
}

// faultTime is when the fault came: the start of the first sample past
// the baseline (sampleFailover marks it).
func faultTime(ss []sample) time.Time {
	for _, s := range ss {
		if s.fault {
			return s.at
		}
	}
	return time.Now()
}

// highest is the highest count the app acknowledged.
func highest(ss []sample) int64 {
	var top int64
	for _, s := range ss {
		if s.ok && s.count > top {
			top = s.count
		}
	}
	return top
}
