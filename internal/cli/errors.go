package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"skep/internal/config"
)

// Exit codes, as README.md promises them: 0 ok, 1 failed (or unhealthy, for
// status), 2 bad input.
const (
	ExitOK       = 0
	ExitFailed   = 1
	ExitBadInput = 2
)

// exitError carries an exit code and an optional hint to the one place
// that prints errors.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error, hint string) error {
	return &exitError{code: ExitBadInput, err: err, hint: hint}
}

// silentFailure ends a command with exit 1 without printing an error: the
// command's output already said what is wrong (status of a sick cluster).
type silentFailure struct{}

func (silentFailure) Error() string { return "unhealthy" }

// report prints err once, with its hint, and returns the exit code.
func report(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.As(err, &silentFailure{}) {
		return ExitFailed
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "error: interrupted")
		fmt.Fprintln(w, "hint: run the same command again; apply resumes from what the hosts report")
		return ExitFailed
	}
	var ve *config.ValidationError
	if errors.As(err, &ve) {
		fmt.Fprintf(w, "error: %s\n", ve.Error())
		fmt.Fprintln(w, "hint: fix the lines above; nothing was contacted or changed")
		return ExitBadInput
	}
	code, hint := ExitFailed, ""
	var ee *exitError
	if errors.As(err, &ee) {
		code, hint = ee.code, ee.hint
	}
	fmt.Fprintf(w, "error: %v\n", err)
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
	return code
}
