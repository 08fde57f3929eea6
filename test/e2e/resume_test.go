//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockTakenLine is what apply prints once it holds the apply lock on the
// first manager (internal/apply/lock.go).
const lockTakenLine = "took the apply lock"

// bgSkep is a skep process running in the background, its output (stdout
// and stderr, in order) collected line by line.
type bgSkep struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	mu     sync.Mutex
	out    strings.Builder
	seen   chan struct{} // closed at the first line containing the awaited text
	done   chan struct{} // closed when the process has exited
	err    error
}

// startSkep starts skep in the background; seen closes at the first output
// line that contains await. The process is killed when the test ends.
func startSkep(t *testing.T, timeout time.Duration, await string, args ...string) *bgSkep {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	b := &bgSkep{cmd: exec.CommandContext(ctx, skepBin, args...), cancel: cancel, seen: make(chan struct{}), done: make(chan struct{})}
	pr, pw := io.Pipe()
	b.cmd.Stdout, b.cmd.Stderr = pw, pw
	if err := b.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		b.err = b.cmd.Wait()
		pw.Close()
	}()
	go func() {
		defer close(b.done)
		sc := bufio.NewScanner(pr)
		awaited := false
		for sc.Scan() {
			b.mu.Lock()
			b.out.WriteString(sc.Text() + "\n")
			b.mu.Unlock()
			if !awaited && strings.Contains(sc.Text(), await) {
				awaited = true
				close(b.seen)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		// Never leave a stopped or running apply behind.
		b.cmd.Process.Signal(syscall.SIGCONT)
		cancel()
		<-b.done
	})
	return b
}

// waitSeen waits for the awaited line; the process ending first fails the test.
func (b *bgSkep) waitSeen(t *testing.T, within time.Duration, what string) {
	t.Helper()
	select {
	case <-b.seen:
	case <-b.done:
		t.Fatalf("skep ended (%v) before %s:\n%s", b.err, what, b.output())
	case <-time.After(within):
		t.Fatalf("no %s within %s:\n%s", what, within, b.output())
	}
}

// wait waits for the process to end and returns its exit code.
func (b *bgSkep) wait() int {
	<-b.done
	b.cancel()
	if ee, ok := b.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if b.err != nil {
		return -1
	}
	return 0
}

func (b *bgSkep) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// TestApplyResumesAndLocks: a node that fell out of the swarm is brought
// back by apply; an apply interrupted (SIGINT) in the middle of that says
// so and the next one finishes the work; and an apply holding the lock
// makes a second one at the same time refuse, naming the holder.
func TestApplyResumesAndLocks(t *testing.T) {
	t.Run("interrupted apply, resumed by the next", func(t *testing.T) {
		waitHealthy(t, 2*time.Minute)
		node := labName + "-node3"
		// node3 leaves on its own: the swarm keeps a stale, unreachable entry.
		docker(t, "exec", node, "docker", "swarm", "leave", "--force")

		// Interrupt the apply as soon as it starts changing the swarm.
		a := startSkep(t, 3*time.Minute, "join the swarm as manager", "apply", "--lab", labName)
		a.waitSeen(t, 2*time.Minute, "join step")
		if err := a.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatalf("SIGINT: %v\n%s", err, a.output())
		}
		code := a.wait()
		out := a.output()
		if code == 0 || !strings.Contains(out, "error: interrupted") {
			t.Fatalf("an apply interrupted during the join must fail and say it was interrupted: exit %d\n%s", code, out)
		}
		t.Logf("interrupted: exit %d, %q", code, lastLine(out))

		// The next apply finishes what the interrupted one began.
		r := mustSkep(t, 5*time.Minute, "apply", "--lab", labName)
		waitHealthy(t, 2*time.Minute)
		s, _ := status(t)
		if s.Swarm == nil || s.Swarm.Managers != 3 {
			t.Fatalf("swarm after the resumed apply: %+v\n%s", s.Swarm, r.stdout)
		}
		if r := mustSkep(t, 2*time.Minute, "apply", "--lab", labName); !strings.Contains(r.stdout, "nothing to do") {
			t.Fatalf("apply after the resumed one still had work:\n%s", r.stdout)
		}
	})

	t.Run("a second apply while one holds the lock is refused", func(t *testing.T) {
		waitHealthy(t, 2*time.Minute)
		// A takes the lock and is frozen there, so B surely runs while A
		// holds it: the overlap is made, not hoped for.
		a := startSkep(t, 5*time.Minute, lockTakenLine, "apply", "--lab", labName)
		a.waitSeen(t, 2*time.Minute, "the line saying apply took the lock")
		if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatalf("SIGSTOP: %v (did apply end already?)\n%s", err, a.output())
		}
		b := skep(t, 2*time.Minute, "apply", "--lab", labName)
		if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatalf("SIGCONT: %v", err)
		}
		holder := fmt.Sprintf("(pid %d)", a.cmd.Process.Pid)
		if b.code == 0 || !strings.Contains(b.stderr, "another apply holds the lock") || !strings.Contains(b.stderr, holder) {
			t.Errorf("apply B while A (pid %d) held the lock: exit %d, want a refusal naming A %s\nstdout:\n%s\nstderr:\n%s",
				a.cmd.Process.Pid, b.code, holder, b.stdout, b.stderr)
		}
		if code := a.wait(); code != 0 {
			t.Fatalf("apply A, which held the lock, failed after it was thawed: exit %d\n%s", code, a.output())
		}
		t.Logf("B refused: %s", lastLine(b.stderr))
		waitHealthy(t, 2*time.Minute)
	})
}
