package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker/docker/client"
)

// GoProgram is a program built from a Go module fetched through the go
// command (as the machine configures it), put alone in a FROM scratch image
// with entrypoint /NAME. It serves nodes that cannot pull official images:
// the program is built from the same source the upstream image holds.
type GoProgram struct {
	Name    string // image skep-NAME, binary /NAME
	Module  string // e.g. github.com/traefik/traefik/v3
	Version string // exact version; module version lists may be refused
	Package string // main package relative to the module root, e.g. ./cmd/traefik
	LDFlags string // added after "-s -w"
}

func (g GoProgram) hash() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("go-program v1\n%s\n%s\n%s\n%s\n", g.Module, g.Version, g.Package, g.LDFlags)))
	return hex.EncodeToString(sum[:])[:12]
}

// Tag is skep-NAME:HASH of module, version, package and flags.
func (g GoProgram) Tag() (string, error) { return "skep-" + g.Name + ":" + g.hash(), nil }

// Build compiles the program (or reuses the binary cached by the same
// hash) and makes the image when the engine lacks it.
func (g GoProgram) Build(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error) {
	tag, _ := g.Tag()
	if exists(ctx, cli, tag) {
		return tag, nil
	}
	unlock, err := lockFile(filepath.Join(os.TempDir(), "skep-image-"+g.Name+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if exists(ctx, cli, tag) {
		return tag, nil
	}
	bin, err := g.binary(ctx, logf)
	if err != nil {
		return "", fmt.Errorf("build %s %s: %w", g.Module, g.Version, err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY %s /%s\nENTRYPOINT [\"/%s\"]\n", g.Name, g.Name, g.Name)
	buildCtx, err := contextTar(
		tarFile{name: "Dockerfile", mode: 0o644, data: []byte(dockerfile)},
		tarFile{name: g.Name, mode: 0o755, data: data},
	)
	if err != nil {
		return "", err
	}
	if err := buildTar(ctx, cli, tag, buildCtx, nil, g.Name, logf); err != nil {
		return "", err
	}
	return tag, nil
}

// binary returns the path of the built program, compiling it once per hash
// into the user's cache directory.
func (g GoProgram) binary(ctx context.Context, logf func(string, ...any)) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(cache, "skep", "go", g.Name+"-"+g.hash(), g.Name)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if _, err := exec.LookPath("go"); err != nil {
		return "", fmt.Errorf("the go command is needed to build %s from source (no registry to pull from): install Go, or set the component's image to one your nodes can pull", g.Name)
	}
	src, err := ModuleDir(ctx, g.Module, g.Version)
	if err != nil {
		return "", err
	}
	// The module is built as the main module of a writable copy: programs
	// such as Traefik carry replace directives, which `go install m@v`
	// refuses and which apply only to the main module.
	work, err := os.MkdirTemp("", "skep-gobuild-"+g.Name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if err := os.CopyFS(work, os.DirFS(src)); err != nil {
		return "", fmt.Errorf("copy module source: %w", err)
	}
	logf("compiling %s %s from source (once; a large program takes minutes)", g.Module, g.Version)
	tmp := out + ".tmp"
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	start := time.Now()
	var log atomic.Pointer[goBuildLog] // nil until go list has named the packages
	stop := heartbeat(func(elapsed time.Duration) { logf("%s", g.progress(log.Load(), elapsed)) })
	defer stop()
	// The list is only for progress lines: when go list fails, the build
	// still runs and reports the real error.
	deps, _ := g.dependencies(ctx, work)
	l := newGoBuildLog(deps)
	log.Store(l)
	cmd := g.goCommand(ctx, work, "build", "-v", "-trimpath", "-ldflags", strings.TrimSpace("-s -w "+g.LDFlags), "-o", tmp, g.Package)
	cmd.Stdout, cmd.Stderr = l, l
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", g.Package, err, lastLines(l.String(), 20))
	}
	stop()
	logf("compiled %s in %s (%d of its %d packages; the rest were cached)", g.Name, seconds(time.Since(start)), l.compiled(), len(deps))
	return out, os.Rename(tmp, out)
}

// progress is the heartbeat line of a compile.
func (g GoProgram) progress(log *goBuildLog, elapsed time.Duration) string {
	if log == nil {
		return fmt.Sprintf("compiling %s: fetching its dependencies, %s", g.Name, elapsed)
	}
	if n := log.total(); n > 0 {
		return fmt.Sprintf("compiling %s: %d/%d packages, %s", g.Name, log.compiled(), n, elapsed)
	}
	return fmt.Sprintf("compiling %s: %s", g.Name, elapsed)
}

// dependencies lists the packages outside the standard library the
// program is built from: those `go build -v` lines are counted against.
// It also downloads them, which go build would do anyway.
func (g GoProgram) dependencies(ctx context.Context, dir string) ([]string, error) {
	cmd := g.goCommand(ctx, dir, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", g.Package)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	return strings.Fields(stdout.String()), nil
}

// goCommand runs the go command in the module copy as the build needs it:
// static, outside any workspace, resolving modules as go.mod says.
func (g GoProgram) goCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod")
	return cmd
}

// ModuleDir downloads module@version through the go command and returns
// its read-only directory in the module cache.
func ModuleDir(ctx context.Context, module, version string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+version)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	cmd.Dir = os.TempDir()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	if runErr != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %v %s", module, version, runErr, strings.TrimSpace(stderr.String()))
	}
	return info.Dir, nil
}
