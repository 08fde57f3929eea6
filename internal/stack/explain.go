package stack

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"gopkg.in/yaml.v3"
)

// compose-go's errors are text with a path in them; these are the shapes it
// uses (v2.16.2). Anything else is passed on as it is, without a place.
var (
	validatingRe  = regexp.MustCompile(`(?s)^validating (.+?): (\S*) (.*)$`)
	parseRe       = regexp.MustCompile(`(?s)^failed to parse (.+?): `)
	interpolateRe = regexp.MustCompile(`^error while interpolating (\S+): (.*)$`)
	decodeRe      = regexp.MustCompile(`^'([^']+)' (.*)$`)
	additionalRe  = regexp.MustCompile(`^additional properties (.+) not allowed$`)
	// The problem part of compose-go's YAML error: the last "line N" in it.
	// With a column the parser (go.yaml.in/yaml/v4 rc) counts lines from 0,
	// without one from 1; see the syntax cases in load_test.go.
	yamlProblemRe = regexp.MustCompile(`(?s)line (\d+)(?:, column (\d+))?: ((?:[^l]|l[^i]|li[^n]|lin[^e])*)$`)
)

// explain turns a compose-go load error into a *LoadError whose problems
// name the file and line, found by looking the reported path up in files.
func explain(err error, files []yamlFile) error {
	var problems []Problem
	for _, leaf := range leaves(err) {
		problems = append(problems, explainOne(leaf, files)...)
	}
	return &LoadError{Problems: problems}
}

// leaves flattens errors.Join trees (interpolation joins one per value) and
// the decoder's multi-line list, so each problem is placed on its own.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

func explainOne(err error, files []yamlFile) []Problem {
	msg := err.Error()
	if m := validatingRe.FindStringSubmatch(msg); m != nil {
		return []Problem{schemaProblem(m[1], m[2], m[3], files)}
	}
	if m := parseRe.FindStringSubmatch(msg); m != nil {
		return []Problem{syntaxProblem(m[1], strings.TrimPrefix(msg, m[0]))}
	}
	if m := interpolateRe.FindStringSubmatch(msg); m != nil {
		return []Problem{interpolationProblem(err, m[1], m[2], files)}
	}
	if strings.HasPrefix(msg, "decoding failed") {
		return decodeProblems(msg, files)
	}
	return []Problem{{Message: msg}}
}

// schemaProblem places a JSON-schema error. The schema runs on the files
// merged so far, so the path may come from the named file or one before it;
// the latest file holding it is the one whose value was kept.
func schemaProblem(file, path, message string, files []yamlFile) Problem {
	if m := additionalRe.FindStringSubmatch(message); m != nil {
		// The root's unknown keys come with an empty path and the key in
		// the message; point at the key itself.
		key := strings.Trim(strings.SplitN(m[1], ",", 2)[0], "' ")
		path = joinPath(path, key)
		message = "unknown key"
	} else if message == "false schema" {
		message = "unknown key" // what the schema says for a key not allowed below the root
	}
	upTo := files
	for i, f := range files {
		if f.name == file {
			upTo = files[:i+1]
		}
	}
	return place(Problem{File: file, Path: path, Message: message}, upTo)
}

// syntaxProblem keeps the parser's problem and where it is, dropping the
// "while parsing ..." context, which points at the enclosing block instead.
func syntaxProblem(file, raw string) Problem {
	p := Problem{File: file, Message: strings.TrimPrefix(raw, "yaml: ")}
	m := yamlProblemRe.FindStringSubmatch(raw)
	if m == nil {
		return p
	}
	p.Line, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		p.Line++
		p.Col, _ = strconv.Atoi(m[2])
	}
	p.Message = m[3]
	return p
}

// interpolationProblem names the file that uses the missing variable: the
// error has the path but not the file, and with several files only the one
// whose value at that path uses the variable is to blame.
func interpolationProblem(err error, path, message string, files []yamlFile) Problem {
	p := Problem{Path: path, Message: message}
	var missing *template.MissingRequiredError
	if !errors.As(err, &missing) {
		return place(p, files)
	}
	for _, f := range files {
		if v := f.value(splitPath(path), missing.Variable); v != nil {
			return at(p, f.name, v)
		}
	}
	for _, f := range files {
		if n := f.findVariable(missing.Variable); n != nil {
			return at(p, f.name, n)
		}
	}
	return p
}

// decodeProblems places the mapstructure errors compose-go reports after the
// merge, one per line, with paths written services[web].deploy....
func decodeProblems(msg string, files []yamlFile) []Problem {
	var out []Problem
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "* "))
		m := decodeRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		path := strings.NewReplacer("[", ".", "]", "").Replace(m[1])
		out = append(out, place(Problem{Path: path, Message: m[2]}, files))
	}
	if out == nil {
		return []Problem{{Message: msg}}
	}
	return out
}

// place fills File, Line and Col from the last of files holding path.
func place(p Problem, files []yamlFile) Problem {
	segs := splitPath(p.Path)
	var best *yaml.Node
	bestFile := ""
	for i := len(files) - 1; i >= 0; i-- {
		n, whole := files[i].lookup(segs)
		if n == nil {
			continue
		}
		if whole {
			return at(p, files[i].name, n)
		}
		if best == nil {
			best, bestFile = n, files[i].name
		}
	}
	if best != nil {
		return at(p, bestFile, best)
	}
	return p
}

func at(p Problem, file string, n *yaml.Node) Problem {
	p.File, p.Line, p.Col = file, n.Line, n.Column
	return p
}

func splitPath(path string) []string {
	if path == "" {
		return nil
	}
	return strings.Split(path, ".")
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
