package apply

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"skep/internal/host"
)

const lockFile = "/var/lib/skep/apply.lock"

// lockScript takes an flock on the first manager and holds it for as long
// as the SSH session lives. A dead apply cannot leave a stale lock: when its
// connection drops, sshd closes stdin, cat exits and the kernel releases it.
func lockScript(holder string) string {
	return fmt.Sprintf(`mkdir -p /var/lib/skep && exec 9<>%[1]s
if flock -n 9; then
  : > %[1]s; printf '%%s\n' %[2]s >&9; echo locked; exec cat >/dev/null
else
  echo "busy $(cat %[1]s)"
fi`, lockFile, host.ShellQuote(holder))
}

// lock refuses a second concurrent apply on the same cluster.
func lock(ctx context.Context, e *env) (func(), error) {
	first := e.cluster.FirstManager().Name
	h := e.hosts[first]
	me, _ := os.Hostname()
	holder := fmt.Sprintf("skep apply on %s (pid %d) since %s", me, os.Getpid(), time.Now().UTC().Format(time.RFC3339))

	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	lockCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() {
		_, err := h.Sudo(lockCtx, lockScript(holder), host.WithStdin(stdinR), host.WithStdout(stdoutW))
		stdoutW.CloseWithError(fmt.Errorf("lock session ended: %v", err))
		done <- err
	}()
	release := func() {
		stdinW.Close()
		cancel()
		<-done
	}
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	go io.Copy(io.Discard, stdoutR)
	line = strings.TrimSpace(line)
	switch {
	case line == "locked":
		e.logf(first, "took the apply lock %s", lockFile)
		return release, nil
	case strings.HasPrefix(line, "busy"):
		release()
		holderInfo := strings.TrimSpace(strings.TrimPrefix(line, "busy"))
		return nil, fmt.Errorf("%s: another apply holds the lock %s (%s); wait for it to finish", first, lockFile, holderInfo)
	default:
		release()
		return nil, fmt.Errorf("%s: could not take the apply lock: %v", first, err)
	}
}
