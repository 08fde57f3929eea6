package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a cluster file.
type Problem struct {
	Path    string // YAML path, e.g. "hosts[1].address"; "" for the file as a whole
	Line    int    // 1-based line in the file; 0 if unknown
	Message string // what is wrong and what is allowed
}

// String renders "line N: path: message", leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a cluster file.
type ValidationError struct {
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("cluster file ")
	if e.File != "" {
		b.WriteString(e.File + " ")
	}
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(&b, "has %d %s:", len(e.Problems), noun)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}
