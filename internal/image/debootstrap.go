package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// Suite is the Debian release every skep image is built from: it ships the
// Docker 26, GlusterFS 11 and keepalived 2.3 that skep is tested with.
const Suite = "trixie"

// baseRecipe changes whenever the way the base is made changes.
const baseRecipe = "debootstrap --variant=minbase " + Suite + " v1"

// BaseTag names the base image by its recipe.
func BaseTag() string {
	sum := sha256.Sum256([]byte(baseRecipe))
	return "skep-base:" + hex.EncodeToString(sum[:])[:12]
}

// Base returns the tag of the Debian base image every recipe builds FROM,
// making it with debootstrap when the engine lacks it. No registry is
// needed: the packages come from this machine's Debian mirror.
func Base(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error) {
	tag := BaseTag()
	if exists(ctx, cli, tag) {
		return tag, nil
	}
	// One build at a time on this machine: a second caller waits and reuses it.
	unlock, err := lockFile(filepath.Join(os.TempDir(), "skep-base-image.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if exists(ctx, cli, tag) {
		return tag, nil
	}
	if err := debootstrapBase(ctx, cli, tag, logf); err != nil {
		return "", fmt.Errorf("build base image: %w", err)
	}
	return tag, nil
}

func exists(ctx context.Context, cli *client.Client, tag string) bool {
	_, err := cli.ImageInspect(ctx, tag)
	return err == nil
}

func debootstrapBase(ctx context.Context, cli *client.Client, tag string, logf func(string, ...any)) error {
	if os.Geteuid() != 0 {
		return errors.New("building the base image runs debootstrap, which needs root; run as root (or with sudo)")
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return errors.New("debootstrap is not installed; install it with: apt-get install -y debootstrap")
	}
	mirror, err := DebianMirror()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("/var/tmp", "skep-base-root-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logPath := dir + ".log"
	defer os.Remove(logPath)

	start := time.Now()
	logf("building base image %s: debootstrap %s from %s (about a minute, once)", tag, Suite, mirror)
	stop := heartbeat(func(elapsed time.Duration) { logf("building base image %s: debootstrap, %s", tag, elapsed) })
	err = runLogged(ctx, logPath, "debootstrap", "--variant=minbase", Suite, dir, mirror)
	stop()
	if err != nil {
		return err
	}
	// Images are rebuilt from recipes, never updated in place: drop what
	// only an interactive system needs.
	os.RemoveAll(filepath.Join(dir, "var/cache/apt/archives"))
	logf("building base image %s: importing the root", tag)
	stop = heartbeat(func(elapsed time.Duration) { logf("building base image %s: importing, %s", tag, elapsed) })
	err = importRoot(ctx, cli, dir, tag)
	stop()
	if err != nil {
		return err
	}
	size := ""
	if img, err := cli.ImageInspect(ctx, tag); err == nil {
		size = " (" + humanBytes(img.Size) + ")"
	}
	logf("built base image %s%s in %s", tag, size, seconds(time.Since(start)))
	return nil
}

// importRoot streams the root directory as a tar into the engine. tar(1) is
// used rather than archive/tar because it keeps device nodes, hard links,
// xattrs and file capabilities exactly as debootstrap made them.
func importRoot(ctx context.Context, cli *client.Client, dir, tag string) error {
	tarCmd := exec.CommandContext(ctx, "tar", "--xattrs", "--numeric-owner", "-C", dir, "-c", ".")
	out, err := tarCmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	tarCmd.Stderr = &stderr
	if err := tarCmd.Start(); err != nil {
		return err
	}
	rc, err := cli.ImageImport(ctx, image.ImportSource{Source: out, SourceName: "-"}, tag, image.ImportOptions{
		Changes: []string{`CMD ["/bin/bash"]`},
	})
	if err != nil {
		_ = tarCmd.Process.Kill()
		_ = tarCmd.Wait()
		return err
	}
	_, copyErr := io.Copy(io.Discard, rc)
	rc.Close()
	if err := tarCmd.Wait(); err != nil {
		return fmt.Errorf("tar: %v: %s", err, stderr.String())
	}
	return copyErr
}

// runLogged runs a build step with its output in a log file; on failure the
// error carries the log's tail, which is where the cause is.
func runLogged(ctx context.Context, logPath, name string, args ...string) error {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed (%v); last output:\n%s", name, err, tail(logPath, 15))
	}
	return nil
}

func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
