package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/docker/docker/client"
)

// BuildApp builds an example app as its README says: its Go program
// compiled static (CGO_ENABLED=0, for a FROM scratch image with no libc)
// into a binary named after dir, then dir's Dockerfile built around it by
// the local engine, tagged tag. It exists for the benchmarks, which deploy
// an example on a lab with no registry: the image is made on this machine
// and pushed to the nodes (Push), as a user of the example does by hand.
// dir is a main package of a module the go command can build from here.
func BuildApp(ctx context.Context, cli *client.Client, dir, tag string, logf func(string, ...any)) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	name := filepath.Base(abs)
	dockerfile, err := os.ReadFile(filepath.Join(abs, "Dockerfile"))
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	work, err := os.MkdirTemp("", "skep-app-"+name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, name)
	logf("compiling %s (static)", dir)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", dir, err, lastLines(string(out), 20))
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	buildCtx, err := contextTar(
		tarFile{name: "Dockerfile", mode: 0o644, data: dockerfile},
		tarFile{name: name, mode: 0o755, data: data},
	)
	if err != nil {
		return err
	}
	return buildTar(ctx, cli, tag, buildCtx, nil, name, logf)
}
