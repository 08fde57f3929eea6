package stack

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong in the compose files, placed as precisely as we
// can: File and Line are zero when the loader gave nothing to place it by.
type Problem struct {
	File    string
	Line    int // 1-based; 0 when unknown
	Col     int // 1-based; 0 when unknown
	Path    string
	Message string
}

// String is FILE:LINE:COL: PATH: MESSAGE, leaving out what is unknown, the
// form editors and compilers use so a terminal can jump to the spot.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Col > 0 {
				fmt.Fprintf(&b, ":%d", p.Col)
			}
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// LoadError means the compose files (or env files, or the stack name) are
// wrong, not the swarm: the CLI exits 2 on it and prints each problem.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
