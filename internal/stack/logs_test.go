package stack

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"
)

// muxed is a log stream as the engine multiplexes it.
func muxed(stdout, stderr string) string {
	var b bytes.Buffer
	stdcopy.NewStdWriter(&b, stdcopy.Stdout).Write([]byte(stdout))
	stdcopy.NewStdWriter(&b, stdcopy.Stderr).Write([]byte(stderr))
	return b.String()
}

func logsManager() *watchManager {
	tty := watchService("shell", 1, 1)
	tty.Spec.TaskTemplate.ContainerSpec.TTY = true
	return &watchManager{
		services: []swarm.Service{watchService("web", 1, 1), watchService("db", 1, 1), tty, otherStack("prom")},
		logs: map[string]string{
			"id-web":   muxed("GET / 200\nGET /a", "warn: slow\n"), // the last line unended
			"id-db":    muxed("ready\n", ""),
			"id-shell": "$ ls\r\n",
		},
	}
}

func TestLogsPrefixEveryLineOfEveryService(t *testing.T) {
	var out bytes.Buffer
	if err := Logs(context.Background(), logsManager(), "demo", "", &out, false); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	slices.Sort(got) // streams interleave; each line stays whole
	want := []string{"db | ready", "shell | $ ls", "web | GET / 200", "web | GET /a", "web | warn: slow"}
	if !slices.Equal(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestLogsOfOneService(t *testing.T) {
	var out bytes.Buffer
	if err := Logs(context.Background(), logsManager(), "demo", "db", &out, true); err != nil {
		t.Fatal(err)
	}
	if out.String() != "db | ready\n" {
		t.Errorf("out = %q", out.String())
	}
	err := Logs(context.Background(), logsManager(), "demo", "cache", &out, false)
	if err == nil || !strings.Contains(err.Error(), "stack demo has no service cache; it has db, shell, web") {
		t.Errorf("err = %v", err)
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// An output that fails ends the logs with its error.
func TestLogsOutputFails(t *testing.T) {
	err := Logs(context.Background(), logsManager(), "demo", "db", brokenWriter{}, true)
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("err = %v", err)
	}
}
