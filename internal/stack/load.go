// Package stack loads compose files (docker-compose v3 and the Compose
// Specification) for `skep stack deploy` and turns them into swarm specs.
package stack

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// LoadOptions are what `skep stack deploy` was given.
type LoadOptions struct {
	Files    []string // -c, in order: later files override earlier ones
	EnvFiles []string // --env-file; when given they replace the default .env
	Name     string   // the stack name, which is the compose project name
	Profiles []string // services with a profile outside this list are left out
	// Environ is the process environment (os.Environ() in the CLI), passed in
	// so tests do not depend on the environment they run in.
	Environ []string
}

// Loaded is a project ready for conversion, with what swarm will not do.
type Loaded struct {
	Project  *types.Project
	Warnings []string // sorted, each once
}

// Load reads, interpolates, merges and validates the compose files as
// `docker compose` does, so a file that works there means the same here.
// Problems in the files come back as *LoadError, with file and line.
func Load(ctx context.Context, opts LoadOptions) (*Loaded, error) {
	if len(opts.Files) == 0 {
		return nil, &LoadError{Problems: []Problem{{Message: "no compose file given"}}}
	}
	envFiles, err := envFiles(opts)
	if err != nil {
		return nil, err
	}
	po, err := cli.NewProjectOptions(opts.Files,
		// The process environment goes in first: the .env files only add
		// variables it does not set, which is docker compose's precedence.
		cli.WithEnv(opts.Environ),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		// Profiles only from the command line: COMPOSE_PROFILES is a docker
		// compose setting, and a deploy should not change with the shell.
		cli.WithProfiles(opts.Profiles),
		cli.WithName(opts.Name),
	)
	if err != nil {
		return nil, optionError(err)
	}
	project, err := po.LoadProject(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, asGiven(explain(err, readYAMLFiles(absolute(opts.Files))), opts.Files)
	}
	files := readYAMLFiles(project.ComposeFiles)
	return &Loaded{Project: project, Warnings: swarmWarnings(project, files)}, nil
}

// envFiles is --env-file when given, else the .env beside the first compose
// file if there is one. It is decided here rather than by compose-go, which
// would look at COMPOSE_DISABLE_ENV_FILE in the real process environment.
func envFiles(opts LoadOptions) ([]string, error) {
	if len(opts.EnvFiles) > 0 {
		for _, f := range opts.EnvFiles {
			if _, err := os.Stat(f); err != nil {
				return nil, &LoadError{Problems: []Problem{{File: f, Message: "env file: " + errText(err)}}}
			}
		}
		return opts.EnvFiles, nil
	}
	first, err := filepath.Abs(opts.Files[0])
	if err != nil {
		return nil, err
	}
	dotEnv := filepath.Join(filepath.Dir(first), ".env")
	if st, err := os.Stat(dotEnv); err == nil && st.Mode().IsRegular() {
		return []string{dotEnv}, nil
	}
	return nil, nil
}

// optionError reports a bad stack name or an unreadable env file, which
// compose-go finds before reading any compose file.
func optionError(err error) error {
	return &LoadError{Problems: []Problem{{Message: err.Error()}}}
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func absolute(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		a, err := filepath.Abs(n)
		if err != nil {
			a = n
		}
		out[i] = a
	}
	return out
}

// asGiven names files as the user wrote them on the command line: compose-go
// reports absolute paths, which are long and not what the user typed.
func asGiven(err error, given []string) error {
	var le *LoadError
	if !errors.As(err, &le) {
		return err
	}
	names := map[string]string{}
	for _, g := range given {
		if a, err := filepath.Abs(g); err == nil {
			names[a] = g
		}
	}
	for i, p := range le.Problems {
		if g, ok := names[p.File]; ok {
			le.Problems[i].File = g
		}
	}
	return le
}
