package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads, decodes, defaults and validates the cluster file at path.
// A file that cannot be read gives the os error (wrapped); a file with
// problems gives a *ValidationError listing all of them.
func Load(path string) (*Cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cluster file: %w", err)
	}
	return Parse(data, path)
}

// Parse is Load for data already in memory; path is where it came from
// (relative key files are resolved against its directory) and may be "".
func Parse(data []byte, path string) (*Cluster, error) {
	if path != "" {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
	}
	c := &Cluster{Path: path}
	fail := func(ps []Problem) error { return &ValidationError{File: path, Problems: ps} }

	root, problems := parseDocument(data)
	if root == nil {
		return nil, fail(problems)
	}
	d := newDecoder()
	d.lines[""] = root.Line
	d.decode(root, reflect.ValueOf(c).Elem(), "")
	problems = append(problems, d.problems...)

	c.ApplyDefaults()
	for _, p := range c.Validate() {
		// A field that failed to decode is left empty; do not also call it
		// missing or invalid.
		if coveredBy(p.Path, d.problems) {
			continue
		}
		p.Line = lineOf(d.lines, p.Path)
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return nil, fail(problems)
	}
	return c, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseDocument returns the root node of the file's single YAML document, or
// nil with the problem that prevents reading it.
func parseDocument(data []byte) (*yaml.Node, []Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []Problem{{Message: "the file is empty; run `skep init` for a commented example"}}
		}
		return nil, []Problem{syntaxProblem(err)}
	}
	var problems []Problem
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		problems = append(problems, Problem{Line: extra.Line, Message: "a second YAML document (after ---); a cluster file holds exactly one"})
	} else if !errors.Is(err, io.EOF) {
		problems = append(problems, syntaxProblem(err))
	}
	if len(doc.Content) == 0 {
		return nil, append(problems, Problem{Message: "the file is empty; run `skep init` for a commented example"})
	}
	return doc.Content[0], problems
}

// syntaxProblem turns "yaml: line 3: did not find expected key" into a
// Problem on line 3.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{Line: n, Message: "invalid YAML: " + m[2]}
	}
	return Problem{Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// lineOf finds the line of path, or of its nearest ancestor present in the
// file (so a missing field points at the mapping that should hold it).
func lineOf(lines map[string]int, path string) int {
	for {
		if l, ok := lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// parentPath drops the last ".key", "[i]" or "[\"key\"]" of a path; dots
// and brackets inside a quoted label key do not count.
func parentPath(path string) string {
	cut, quoted := 0, false
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case (c == '.' || c == '[') && !quoted:
			cut = i
		}
	}
	return path[:cut]
}

// coveredBy reports whether path is, or lies under, a path that already
// has a decode problem ("" is the whole file, e.g. a list instead of a
// mapping).
func coveredBy(path string, decoded []Problem) bool {
	for _, p := range decoded {
		if p.Path == "" || path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[") {
			return true
		}
	}
	return false
}

// sortProblems orders problems as they appear in the file; those without a
// line go last, in the order found.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		li, lj := ps[i].Line, ps[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
}
