//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestApplyResumesAndLocks: a node that fell out of the swarm is brought
// back by apply; an apply interrupted (SIGINT) in the middle of that is
// finished by the next one; and two applies at once do not both run.
func TestApplyResumesAndLocks(t *testing.T) {
	waitHealthy(t, 2*time.Minute)
	node := labName + "-node3"
	// node3 leaves on its own: the swarm keeps a stale, unreachable entry.
	docker(t, "exec", node, "docker", "swarm", "leave", "--force")

	// Interrupt the first apply as soon as it starts changing the swarm.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, skepBin, "apply", "--lab", labName)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	sc := bufio.NewScanner(stdout)
	interrupted := false
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if !interrupted && strings.Contains(sc.Text(), "join the swarm as manager") {
			cmd.Process.Signal(syscall.SIGINT)
			interrupted = true
		}
	}
	err := cmd.Wait()
	if !interrupted {
		t.Fatalf("apply never planned the join:\n%s\n%s", seen.String(), stderr.String())
	}
	if err == nil {
		t.Logf("apply finished before the interrupt took effect:\n%s", seen.String())
	} else if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("an interrupted apply should say so, got:\n%s", stderr.String())
	}

	// Two applies at once: exactly one may hold the lock at a time; a
	// refused one says who holds it.
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = skep(t, 3*time.Minute, "apply", "--lab", labName)
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, r := range results {
		switch {
		case r.code == 0:
			ok++
		case strings.Contains(r.stderr, "another apply holds the lock"):
			refused++
		default:
			t.Errorf("apply failed unexpectedly: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	}
	if ok < 1 {
		t.Fatalf("no apply succeeded: %+v", results)
	}
	t.Logf("concurrent applies: %d finished, %d refused by the lock", ok, refused)

	// Resumed: healthy, node3 back as a manager, the stale entry gone, and
	// nothing left to do.
	waitHealthy(t, 2*time.Minute)
	s, _ := status(t)
	if s.Swarm == nil || s.Swarm.Managers != 3 {
		t.Fatalf("swarm after resume: %+v", s.Swarm)
	}
	r := mustSkep(t, 2*time.Minute, "apply", "--lab", labName)
	if !strings.Contains(r.stdout, "nothing to do") {
		t.Fatalf("apply after resume still had work:\n%s", r.stdout)
	}
}
