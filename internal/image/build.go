// Package image makes the images skep runs (lab nodes, node services such
// as GlusterFS and keepalived) without any registry: a Debian base made with
// debootstrap, Dockerfile recipes built on it by the local engine, and
// images shipped to each host's engine over SSH with save/load.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"

	"skep/images"
)

// Tag is the tag recipe name gets: skep-NAME:HASH, the hash covering the
// base and every file of the recipe, so a changed recipe is a new image and
// an unchanged one is never rebuilt.
func Tag(name string) (string, error) {
	files, err := recipeFiles(name)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "base=%s\n", BaseTag())
	for _, f := range files {
		data, _ := images.FS.ReadFile(f)
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	return "skep-" + name + ":" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Build returns the tag of recipe name on the local engine, building the
// base and the recipe when missing.
func Build(ctx context.Context, cli *client.Client, name string, logf func(string, ...any)) (string, error) {
	tag, err := Tag(name)
	if err != nil {
		return "", err
	}
	if exists(ctx, cli, tag) {
		return tag, nil
	}
	base, err := Base(ctx, cli, logf)
	if err != nil {
		return "", err
	}
	unlock, err := lockFile(os.TempDir() + "/skep-image-" + name + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if exists(ctx, cli, tag) {
		return tag, nil
	}
	buildCtx, err := recipeContext(name)
	if err != nil {
		return "", err
	}
	if err := buildTar(ctx, cli, tag, buildCtx, map[string]*string{"BASE": &base}, name, logf); err != nil {
		return "", err
	}
	return tag, nil
}

// buildTar builds a context tar into tag with the local engine, saying
// which step it is at (and, every heartbeat, that it still is) and the
// image's size at the end. The error carries the tail of the build output,
// which is where the cause is.
func buildTar(ctx context.Context, cli *client.Client, tag string, buildCtx io.Reader, args map[string]*string, recipe string, logf func(string, ...any)) error {
	start := time.Now()
	logf("building image %s", tag)
	resp, err := cli.ImageBuild(ctx, buildCtx, build.ImageBuildOptions{
		Tags:        []string{tag},
		BuildArgs:   args,
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{"skep.recipe": recipe},
	})
	if err != nil {
		return fmt.Errorf("build %s: %w", tag, err)
	}
	defer resp.Body.Close()
	var mu sync.Mutex
	step := ""
	stop := heartbeat(func(elapsed time.Duration) {
		mu.Lock()
		at := step
		mu.Unlock()
		if at != "" {
			at = ": step " + at
		}
		logf("building image %s%s, %s", tag, at, elapsed)
	})
	out, err := readBuild(resp.Body, func(s, instr string) {
		mu.Lock()
		step = s
		mu.Unlock()
		if slowInstruction(instr) {
			logf("building image %s: step %s %s", tag, s, instr)
		}
	})
	stop()
	if err != nil {
		return fmt.Errorf("build %s: %w\n%s", tag, err, lastLines(out, 20))
	}
	size := ""
	if img, err := cli.ImageInspect(ctx, tag); err == nil {
		size = " (" + humanBytes(img.Size) + ")"
	}
	logf("built image %s%s in %s", tag, size, seconds(time.Since(start)))
	return nil
}

// readBuild reads the engine's build stream, calling onStep as each step
// starts; it returns the build's output and the error the engine reported.
func readBuild(r io.Reader, onStep func(step, instr string)) (string, error) {
	var out strings.Builder
	dec := json.NewDecoder(r)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err == io.EOF {
			return out.String(), nil
		} else if err != nil {
			return out.String(), err
		}
		if m.Error != nil {
			return out.String(), m.Error
		}
		out.WriteString(m.Stream)
		for _, line := range strings.Split(m.Stream, "\n") {
			if s, instr, ok := parseStep(line); ok {
				onStep(s, instr)
			}
		}
	}
}

// slowInstruction is a build step worth a line of its own: one that runs
// or copies something. The rest (FROM, ARG, ENTRYPOINT...) take no time
// and show only in the heartbeat.
func slowInstruction(instr string) bool {
	verb, _, _ := strings.Cut(instr, " ")
	switch strings.ToUpper(verb) {
	case "RUN", "COPY", "ADD":
		return true
	}
	return false
}

func recipeFiles(name string) ([]string, error) {
	var files []string
	err := fs.WalkDir(images.FS, name, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("no image recipe %q: %w", name, err)
	}
	sort.Strings(files)
	return files, nil
}

// recipeContext is the recipe directory as a build context tar.
func recipeContext(name string) (io.Reader, error) {
	files, err := recipeFiles(name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		data, _ := images.FS.ReadFile(f)
		mode := int64(0o644)
		if strings.HasSuffix(f, ".sh") {
			mode = 0o755
		}
		rel := strings.TrimPrefix(f, path.Clean(name)+"/")
		if err := tw.WriteHeader(&tar.Header{Name: rel, Mode: mode, Size: int64(len(data))}); err != nil {
			return nil, err
		}
		tw.Write(data)
	}
	return &buf, tw.Close()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
