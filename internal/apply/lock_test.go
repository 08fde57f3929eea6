package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// lockEnv is three managers over fake nodes; node1's answer plays the lock
// script's part.
func lockEnv(answer func(ctx context.Context, cmd string, stdin io.Reader, stdout io.Writer) (string, error)) (*env, map[string]*fakeNode, *strings.Builder) {
	e, fakes, log := wetEnv(testCluster("manager", "manager", "manager"), nil, nil)
	fakes["node1"].answer = answer
	return e, fakes, log
}

// The lock is taken on the first manager, as root, by the lock script, and
// held for as long as its session lives: until unlock closes its stdin.
func TestLockHeldUntilUnlock(t *testing.T) {
	ended := make(chan struct{})
	e, fakes, log := lockEnv(func(ctx context.Context, _ string, stdin io.Reader, stdout io.Writer) (string, error) {
		defer close(ended)
		if stdin == nil || stdout == nil {
			return "", errors.New("the lock session needs stdin and streamed stdout")
		}
		fmt.Fprintln(stdout, "locked")
		_, err := io.Copy(io.Discard, stdin) // the script's `exec cat`
		return "", err
	})
	unlock, err := lock(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
		t.Fatal("the lock session ended before unlock")
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("unlock did not end the lock session")
	}

	got := fakes["node1"].entries()
	me, _ := os.Hostname()
	if len(got) != 1 || !strings.HasPrefix(got[0], "sudo ") || !strings.Contains(got[0], "flock -n 9") ||
		!strings.Contains(got[0], lockFile) || !strings.Contains(got[0], fmt.Sprintf("skep apply on %s (pid %d) since ", me, os.Getpid())) {
		t.Fatalf("node1 ran %q, want the lock script naming this apply, as root", got)
	}
	for _, n := range []string{"node2", "node3"} {
		if got := fakes[n].entries(); len(got) != 0 {
			t.Errorf("%s ran %q: only the first manager holds the lock", n, got)
		}
	}
	if !strings.Contains(log.String(), "node1: took the apply lock "+lockFile) {
		t.Errorf("progress log:\n%s", log)
	}
}

// A lock another apply holds is refused, naming that apply.
func TestLockBusyNamesHolder(t *testing.T) {
	const holder = "skep apply on laptop (pid 42) since 2025-01-02T03:04:05Z"
	e, _, _ := lockEnv(func(_ context.Context, _ string, _ io.Reader, stdout io.Writer) (string, error) {
		fmt.Fprintln(stdout, "busy "+holder)
		return "", nil
	})
	unlock, err := lock(context.Background(), e)
	want := "node1: another apply holds the lock " + lockFile + " (" + holder + "); wait for it to finish"
	if err == nil || err.Error() != want || unlock != nil {
		t.Fatalf("err %v, want %q", err, want)
	}
}

// A session that fails before the script answers is no lock, and says why.
func TestLockSessionFailure(t *testing.T) {
	e, _, _ := lockEnv(func(context.Context, string, io.Reader, io.Writer) (string, error) {
		return "", errors.New("sudo: a password is required")
	})
	unlock, err := lock(context.Background(), e)
	if err == nil || unlock != nil || !strings.HasPrefix(err.Error(), "node1: could not take the apply lock: ") ||
		!strings.Contains(err.Error(), "a password is required") {
		t.Fatalf("err %v", err)
	}
}
