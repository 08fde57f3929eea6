package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/stackdeploy"
)

// FailoverOptions configures the failover benchmark.
type FailoverOptions struct {
	Lab     string
	Example string // the stateful example: its Go program, Dockerfile and compose.yaml
	Cells   []Cell // nil: the whole matrix
	Logf    func(string, ...any)
}

// FailoverResult holds both runs of the matrix, cell by cell in order.
type FailoverResult struct {
	Stock []CellResult `json:"stock"`
	Skep  []CellResult `json:"skep"`
}

// failoverStack is the example's stack on the benchmark's lab.
const failoverStack = "failover"

// Failover runs the fault matrix on a lab of its own twice: first with
// stock settings (swarm's, GlusterFS's and keepalived's timings, docker's
// restart delay, the app free to run on the leader), then with skep's, the
// counter example taking writes through the VIP throughout. Each cell
// starts from a healthy lab and ends when status is healthy again after
// the node is restored, without apply.
func Failover(ctx context.Context, local *client.Client, o FailoverOptions) (FailoverResult, error) {
	var res FailoverResult
	if o.Cells == nil {
		o.Cells = Matrix()
	}
	file := filepath.Join(o.Example, "compose.yaml")
	image, service, err := appOf(ctx, file)
	if err != nil {
		return res, err
	}
	override, err := stockOverride(service)
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(filepath.Dir(override))
	l, skep, roots, release, err := ownHTTPSLab(ctx, local, o.Lab, o.Logf)
	defer release()
	if err != nil {
		return res, err
	}
	rig := &Rig{Local: local, Lab: l, Cluster: skep, Roots: roots, Stack: failoverStack, Host: hostName(failoverStack), Logf: o.Logf}
	if err := rig.stackBench().pushApp(ctx, o.Example, image); err != nil {
		return res, err
	}
	for _, run := range []struct {
		name    string
		cluster *config.Cluster
		files   []string
		into    *[]CellResult
	}{
		{"stock", stockCluster(skep), []string{file, override}, &res.Stock},
		{"skep", skep, []string{file}, &res.Skep},
	} {
		o.Logf("== %s settings: applying them and deploying the example", run.name)
		if _, err := apply.Run(ctx, apply.Options{Cluster: run.cluster, Wet: true, Logf: func(string, string, ...any) {}}); err != nil {
			return res, fmt.Errorf("apply %s settings: %w", run.name, err)
		}
		rig.Cluster = run.cluster
		if err := rig.deploy(ctx, run.files); err != nil {
			return res, fmt.Errorf("%s settings: %w", run.name, err)
		}
		for _, cell := range o.Cells {
			r, err := rig.Run(ctx, cell)
			if err != nil {
				return res, fmt.Errorf("%s settings: %w", run.name, err)
			}
			*run.into = append(*run.into, r)
		}
	}
	return res, nil
}

// deploy deploys the example as skep stack deploy does and waits for its
// first HTTPS 200 through the VIP.
func (r *Rig) deploy(ctx context.Context, files []string) error {
	_, err := stackdeploy.Run(ctx, stackdeploy.Options{
		Cluster: func() (*config.Cluster, error) { return r.Cluster, nil },
		Name:    r.Stack, Files: files, Timeout: firstWithin,
		Environ: append(os.Environ(), HostVar+"="+r.Host),
		Print:   func(line string) { r.Logf("%s", line) },
		Logf:    r.Logf,
		Hostf:   func(h, f string, a ...any) { r.Logf(h+": "+f, a...) },
	})
	if err != nil {
		return fmt.Errorf("deploy %s: %w", r.Stack, err)
	}
	c, url := r.client()
	_, err = firstOK(ctx, c, url, time.Now(), firstWithin)
	return err
}

// FailoverRows puts the two runs side by side: per cell and figure,
// skep's value, stock's and their ratio.
func FailoverRows(res FailoverResult) []Row {
	var rows []Row
	for i, s := range res.Skep {
		if i >= len(res.Stock) {
			break
		}
		k := res.Stock[i]
		cell := s.Cell.String()
		rows = append(rows,
			durRow(cell+"  VIP outage", s.VIPOutage, k.VIPOutage),
			durRow(cell+"  HTTPS outage through the VIP", s.HTTPOutage, k.HTTPOutage),
			durRow(cell+"  storage write stall on a healthy node", s.WriteStall, k.WriteStall),
			moveRow(cell+"  moved task running", s, k),
			durRow(cell+"  healthy after restore", s.Healthy, k.Healthy),
			Row{cell + "  acknowledged writes lost", yesNo(s.Lost), "stock " + yesNo(k.Lost)},
		)
		if s.Fault == "partition" {
			rows = append(rows, Row{cell + "  partitioned node wrote to the volume", yesNo(s.PartitionedWrite), "stock " + yesNo(k.PartitionedWrite)})
		}
	}
	return rows
}

func durRow(what string, skep, stock time.Duration) Row {
	ratio := "n/a"
	if skep >= 0 && stock > 0 {
		ratio = Ratio(skep, stock)
	}
	return Row{what, figure(skep), fmt.Sprintf("stock %s, ratio %s", figure(stock), ratio)}
}

// moveRow is durRow for the time until the app's task runs elsewhere,
// which only a fault on the app's node asks for ("-" otherwise).
func moveRow(what string, skep, stock CellResult) Row {
	moved := func(r CellResult) string {
		if r.Node != r.AppNode {
			return "- (" + r.AppNode + " not hit)"
		}
		return figure(r.Moved)
	}
	r := durRow(what, skep.Moved, stock.Moved)
	if skep.Node != skep.AppNode || stock.Node != stock.AppNode {
		r = Row{what, moved(skep), "stock " + moved(stock)}
	}
	return r
}

// figure renders a measured duration; -1 is "not within its limit".
func figure(d time.Duration) string {
	if d < 0 {
		return "not reached"
	}
	return Secs(d)
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "no"
}
