package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/docker/docker/client"
)

// Self is an image holding this very skep binary at /usr/local/bin/skep
// with entrypoint `skep ARGS...`, on the recipe From (the runtime recipe,
// base plus CA roots, when empty). skep's in-cluster programs (the
// controller, the lab's test backend, keepalived's agent) are subcommands
// of skep, so any skep binary can ship them: no source tree, compiler or
// registry needed.
type Self struct {
	Name string
	Args []string
	// From is the recipe under the binary, e.g. "keepalived" for the VIP's
	// agent, which runs keepalived from that recipe as its child.
	From string
}

// from is the recipe under the binary.
func (s Self) from() string {
	if s.From == "" {
		return "runtime"
	}
	return s.From
}

var selfSum = sync.OnceValues(func() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
})

// Tag is skep-NAME:HASH of the binary, the arguments and the recipe under
// them (its own tag covers its files and the base).
func (s Self) Tag() (string, error) {
	bin, err := selfSum()
	if err != nil {
		return "", fmt.Errorf("read this skep binary: %w", err)
	}
	from, err := Tag(s.from())
	if err != nil {
		return "", err
	}
	args, _ := json.Marshal(s.Args)
	sum := sha256.Sum256([]byte(bin + "\n" + from + "\n" + string(args)))
	return "skep-" + s.Name + ":" + hex.EncodeToString(sum[:])[:12], nil
}

// Build makes the image when the engine lacks it.
func (s Self) Build(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error) {
	tag, err := s.Tag()
	if err != nil {
		return "", err
	}
	if exists(ctx, cli, tag) {
		return tag, nil
	}
	from, err := Build(ctx, cli, s.from(), logf)
	if err != nil {
		return "", err
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		return "", err
	}
	entry, _ := json.Marshal(append([]string{"/usr/local/bin/skep"}, s.Args...))
	dockerfile := fmt.Sprintf("FROM %s\nCOPY skep /usr/local/bin/skep\nENTRYPOINT %s\n", from, entry)
	buildCtx, err := contextTar(
		tarFile{name: "Dockerfile", mode: 0o644, data: []byte(dockerfile)},
		tarFile{name: "skep", mode: 0o755, data: data},
	)
	if err != nil {
		return "", err
	}
	if err := buildTar(ctx, cli, tag, buildCtx, nil, s.Name, logf); err != nil {
		return "", err
	}
	return tag, nil
}
