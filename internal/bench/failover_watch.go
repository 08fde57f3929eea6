package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"

	"skep/internal/config"
	"skep/internal/lab"
	"skep/internal/stack"
)

// sampleFailover polls the app as sampleAround does, but a fault the app
// never feels must end too: polling stops quietWindow after the fault when
// no request has failed by then, else afterRecovery after the first answer
// past the last failure, or at outageWithin. The first request after the
// fault is marked.
func sampleFailover(ctx context.Context, c *http.Client, url string, fault func() error) ([]sample, error) {
	var got []sample
	faultAt := -1
	done := func() bool {
		if faultAt < 0 {
			return false
		}
		failed := false
		var lastOK time.Time
		for _, s := range got[faultAt:] {
			if !s.ok {
				failed, lastOK = true, time.Time{}
			} else if failed && lastOK.IsZero() {
				lastOK = s.at
			}
		}
		if !failed {
			return len(got) > faultAt && time.Since(got[faultAt].at) >= quietWindow
		}
		return !lastOK.IsZero() && time.Since(lastOK) >= afterRecovery
	}
	start := time.Now()
	for time.Since(start) < outageWithin+time.Minute {
		if faultAt < 0 && len(got) >= 5 && allOK(got[len(got)-5:]) {
			faultAt = len(got)
			if err := fault(); err != nil {
				return got, err
			}
		}
		if done() {
			return got, nil
		}
		if faultAt < 0 && time.Since(start) > time.Minute {
			return got, fmt.Errorf("%s did not answer 5 times in a row before the fault", url)
		}
		s := ask(ctx, c, url)
		s.fault = faultAt == len(got)
		got = append(got, s)
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-time.After(time.Until(s.at.Add(outagePoll))):
		}
	}
	return got, nil
}

func allOK(ss []sample) bool {
	for _, s := range ss {
		if !s.ok {
			return false
		}
	}
	return true
}

// appNode is the node running the app's one task.
func (r *Rig) appNode(ctx context.Context) (string, error) {
	b := r.stackBench()
	return b.taskNode(ctx, r.Stack)
}

func (r *Rig) stackBench() *stackBench {
	return &stackBench{local: r.Local, lab: r.Lab, c: r.Cluster, roots: r.Roots, logf: r.Logf}
}

// watchMove asks the managers other than the dead node, every 500ms, until
// watchMove asks a live manager other than the dead node, every 500ms, until
// fault (or -1 past movedWithin). Each question is bounded: while there is
// no leader a manager's task list hangs.
func (r *Rig) watchMove(ctx context.Context, dead string, faultAt time.Time) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	go func() {
		for time.Since(faultAt) < movedWithin {
			if r.runsElsewhere(ctx, dead) {
				out <- time.Since(faultAt)
				return
			}
			select {
			case <-ctx.Done():
				out <- -1
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
		out <- -1
	}()
	return out
}

// runsElsewhere asks one live manager (every manager reads the same raft
// store) whether the app has a running task off the dead node.
func (r *Rig) runsElsewhere(ctx context.Context, dead string) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	h, mgr, err := r.stackBench().manager(ctx, dead)
	if err != nil {
		return false
	}
	defer h.Close()
	rows, err := stack.Tasks(ctx, mgr, r.Stack)
	if err != nil {
		return false
	}
	for _, row := range rows {
		if row.Node != dead && row.DesiredState == string(swarm.TaskStateRunning) && strings.HasPrefix(row.CurrentState, "running") {
			r.Logf("the app's task runs on %s (%s since %s); its tasks: %s", row.Node, row.CurrentState, row.Since.Format("15:04:05.000"), taskStates(rows))
			return true
		}
	}
	return false
}

// failoverDir is where the cells' writes go on the shared volume.
func (r *Rig) failoverDir() string {
	mount := config.DefaultStorageMount
	if r.Cluster.Storage != nil && r.Cluster.Storage.Mount != "" {
		mount = r.Cluster.Storage.Mount
	}
	return path.Join(mount, "skep-failover")
}

// writeEvery paces the writer: a small synced write, then this pause.
const writeEvery = 100 * time.Millisecond

// startWriter runs a loop on node that writes a small file with fsync to
// the shared volume every writeEvery and prints each write's time in ms,
// until the returned stop is called. stop returns the slowest write (a
// write still blocked when stop is called counts until it completes) and
// writes sends how many writes completed.
func (r *Rig) startWriter(ctx context.Context, node string) (stop func() (time.Duration, error), writes <-chan int) {
	stopFile := fmt.Sprintf("/tmp/skep-failover-stop-%d", time.Now().UnixNano())
	script := fmt.Sprintf(`mkdir -p %[1]s && rm -f %[2]s
i=0
while [ ! -e %[2]s ]; do
  i=$((i+1))
  s=$(date +%%s%%N)
  dd if=/dev/zero of=%[1]s/w-$i bs=4k count=1 conv=fsync status=none || echo failed
  e=$(date +%%s%%N)
  echo $(( (e-s)/1000000 ))
  rm -f %[1]s/w-$((i-1))
  sleep %[3]s
done`, r.failoverDir(), stopFile, strconv.FormatFloat(writeEvery.Seconds(), 'f', -1, 64))
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	// The writer runs as long as the fault's window plus a blocked write:
	// its own bound is the cell's.
	wctx, cancel := context.WithTimeout(ctx, outageWithin+healthyBefore)
	go func() {
		out, err := r.execLong(wctx, node, script)
		done <- result{out, err}
	}()
	count := make(chan int, 1)
	stop = func() (time.Duration, error) {
		defer cancel()
		if _, err := execNode(ctx, r.Local, r.Lab, node, "touch "+stopFile, nil); err != nil {
			return 0, fmt.Errorf("stop the writer on %s: %w", node, err)
		}
		res := <-done
		slowest, n, err := slowestWrite(res.out)
		count <- n
		return slowest, errors.Join(res.err, err)
	}
	return stop, count
}

// slowestWrite reads the writer's output: one line of milliseconds per
// write, "failed" for a write that failed (which counts as an error: a
// healthy node must be able to write).
func slowestWrite(out string) (time.Duration, int, error) {
	var slowest time.Duration
	n := 0
	for _, line := range strings.Fields(out) {
		if line == "failed" {
			return slowest, n, errors.New("a write to the shared volume failed on a healthy node")
		}
		ms, err := strconv.Atoi(line)
		if err != nil {
			return slowest, n, fmt.Errorf("writer printed %q", line)
		}
		n++
		if d := time.Duration(ms) * time.Millisecond; d > slowest {
			slowest = d
		}
	}
	if n == 0 {
		return 0, 0, errors.New("the writer completed no write")
	}
	return slowest, n, nil
}

// canWrite tells whether node can still create a file on the shared
// volume (within 20 s: a write that hangs counts as refused).
func (r *Rig) canWrite(ctx context.Context, node string) bool {
	script := fmt.Sprintf("timeout 20 sh -c 'echo x > %s/partitioned-%d' 2>/dev/null && echo wrote", r.failoverDir(), time.Now().UnixNano())
	out, _ := execNode(ctx, r.Local, r.Lab, node, script, nil)
	return strings.TrimSpace(out) == "wrote"
}

// execLong runs a script in a lab node's container for as long as ctx
// allows (execNode stops at 30 s) and returns its stdout.
func (r *Rig) execLong(ctx context.Context, node, script string) (string, error) {
	name := lab.ContainerName(r.Lab.Name, node)
	ex, err := r.Local.ContainerExecCreate(ctx, name, container.ExecOptions{Cmd: []string{"sh", "-c", script}, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return "", fmt.Errorf("%s: %w", node, err)
	}
	att, err := r.Local.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", fmt.Errorf("%s: %w", node, err)
	}
	defer att.Close()
	var out, errb strings.Builder
	if _, err := stdcopy.StdCopy(&out, &errb, att.Reader); err != nil {
		return out.String(), fmt.Errorf("%s: %w", node, err)
	}
	return out.String(), nil
}

// taskStates says where and in which state each of the app's tasks is, and
// since when, for the log of a move.
func taskStates(rows []stack.TaskRow) string {
	var out []string
	for _, row := range rows {
		out = append(out, fmt.Sprintf("%s on %s %s/%s since %s %s", row.Name, row.Node, row.DesiredState, row.CurrentState, row.Since.Format("15:04:05.000"), row.Error))
	}
	return strings.Join(out, "; ")
}
