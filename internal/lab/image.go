package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"skep/images"
)

// nodeSuite is the Debian release the node image is built from: it ships the
// Docker 26, GlusterFS 11 and keepalived 2.3 that skep is tested with.
const nodeSuite = "trixie"

// NodeImageTag names the node image by the hash of its recipe, so a changed
// recipe builds a new image and an unchanged one is reused from the cache.
func NodeImageTag() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "suite=%s\n", nodeSuite)
	var names []string
	err := fs.WalkDir(images.Node, "node", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		data, _ := images.Node.ReadFile(n)
		fmt.Fprintf(h, "%s %d\n", n, len(data))
		h.Write(data)
	}
	return "skep-node:" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// EnsureNodeImage returns the tag of the node image, building it with
// debootstrap when the local engine does not have it yet.
func EnsureNodeImage(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error) {
	tag, err := NodeImageTag()
	if err != nil {
		return "", err
	}
	if _, err := cli.ImageInspect(ctx, tag); err == nil {
		return tag, nil
	}
	// One build at a time on this machine: a second lab waits and reuses it.
	unlock, err := lockFile(filepath.Join(os.TempDir(), "skep-node-image.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := cli.ImageInspect(ctx, tag); err == nil {
		return tag, nil
	}
	logf("building node image %s from Debian %s packages (about a minute, once)", tag, nodeSuite)
	if err := buildNodeImage(ctx, cli, tag, logf); err != nil {
		return "", fmt.Errorf("build node image: %w", err)
	}
	return tag, nil
}

func buildNodeImage(ctx context.Context, cli *client.Client, tag string, logf func(string, ...any)) error {
	if os.Geteuid() != 0 {
		return errors.New("building the node image runs debootstrap, which needs root; run skep lab as root (or with sudo)")
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return errors.New("debootstrap is not installed; install it with: apt-get install -y debootstrap")
	}
	mirror, err := DebianMirror()
	if err != nil {
		return err
	}
	pkgs, err := recipePackages()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("/var/tmp", "skep-node-root-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logPath := dir + ".log"
	defer os.Remove(logPath)

	logf("debootstrap %s from %s", nodeSuite, mirror)
	if err := runLogged(ctx, logPath, "debootstrap", "--variant=minbase", "--include="+strings.Join(pkgs, ","), nodeSuite, dir, mirror); err != nil {
		return err
	}
	setup, err := images.Node.ReadFile("node/setup.sh")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "skep-setup.sh"), setup, 0o755); err != nil {
		return err
	}
	if err := runLogged(ctx, logPath, "chroot", dir, "/bin/sh", "/skep-setup.sh"); err != nil {
		return err
	}
	os.Remove(filepath.Join(dir, "skep-setup.sh"))

	logf("importing %s into the local Docker engine", tag)
	return importRoot(ctx, cli, dir, tag)
}

// importRoot streams the root directory as a tar into the engine. tar(1) is
// used rather than archive/tar because it keeps device nodes, hard links,
// xattrs and capabilities (ping, newuidmap) exactly as debootstrap made them.
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
		Changes: []string{"ENV container=docker", `CMD ["/sbin/init"]`},
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

func recipePackages() ([]string, error) {
	data, err := images.Node.ReadFile("node/packages")
	if err != nil {
		return nil, err
	}
	var pkgs []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			pkgs = append(pkgs, l)
		}
	}
	return pkgs, nil
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
