package stack

import (
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlFile is one compose file parsed a second time, by us, only to know where
// things are: compose-go reports problems by dotted path and forgets lines.
type yamlFile struct {
	name string
	root *yaml.Node // the document's top mapping; nil when the file did not parse
}

// readYAMLFiles parses every file that parses; a file that does not is left
// without a tree, as compose-go reports its syntax error itself.
func readYAMLFiles(names []string) []yamlFile {
	files := make([]yamlFile, 0, len(names))
	for _, name := range names {
		f := yamlFile{name: name}
		if b, err := os.ReadFile(name); err == nil {
			var doc yaml.Node
			if yaml.Unmarshal(b, &doc) == nil && len(doc.Content) > 0 {
				f.root = doc.Content[0]
			}
		}
		files = append(files, f)
	}
	return files
}

// lookup finds the node at path (dotted segments as compose-go writes them).
// It returns the deepest node it reached and whether that is the whole path,
// so a value compose-go added itself (a default) still gets its parent's line.
func (f yamlFile) lookup(segments []string) (*yaml.Node, bool) {
	if f.root == nil {
		return nil, false
	}
	return walk(f.root, segments)
}

// walk descends one mapping key or sequence index at a time. Service and
// network names may hold dots, so a key may span several segments: the
// longest key that exists wins.
func walk(n *yaml.Node, segments []string) (*yaml.Node, bool) {
	n = resolveAlias(n)
	if len(segments) == 0 {
		return n, true
	}
	switch n.Kind {
	case yaml.MappingNode:
		for take := len(segments); take >= 1; take-- {
			want := strings.Join(segments[:take], ".")
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value != want {
					continue
				}
				if take == len(segments) {
					// Point at the key: it is on the line the reader looks for
					// even when the value is a block below it.
					return n.Content[i], true
				}
				if found, whole := walk(n.Content[i+1], segments[take:]); whole {
					return found, true
				} else if found != nil {
					return found, false
				}
				return n.Content[i], false
			}
		}
	case yaml.SequenceNode:
		if segments[0] == "[]" {
			// Interpolation errors name no index: the first element that
			// holds the rest of the path is the best guess.
			for _, c := range n.Content {
				if found, whole := walk(c, segments[1:]); whole {
					return found, true
				}
			}
			return n, false
		}
		if i, err := strconv.Atoi(segments[0]); err == nil && i >= 0 && i < len(n.Content) {
			if found, whole := walk(n.Content[i], segments[1:]); found != nil {
				return found, whole
			}
			return n.Content[i], false
		}
	}
	return nil, false
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// findVariable returns the first scalar that refers to variable name, so a
// missing ${NAME:?} can be shown where it is written; compose-go's error
// carries neither file nor path.
func (f yamlFile) findVariable(name string) *yaml.Node {
	if f.root == nil {
		return nil
	}
	var found *yaml.Node
	var visit func(*yaml.Node)
	visit = func(n *yaml.Node) {
		if found != nil || n == nil {
			return
		}
		if n.Kind == yaml.ScalarNode && refersTo(n.Value, name) {
			found = n
			return
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	visit(f.root)
	return found
}

// refersTo reports whether s uses $NAME or ${NAME...} (not $$NAME, an escape).
func refersTo(s, name string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			i++
			continue
		}
		rest := s[i+1:]
		if strings.HasPrefix(rest, "{") {
			rest = rest[1:]
		}
		if strings.HasPrefix(rest, name) {
			after := rest[len(name):]
			if after == "" || !isNameByte(after[0]) {
				return true
			}
		}
	}
	return false
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// value returns the scalar at path whose text uses variable, or nil. Paths
// from interpolation errors may hold "[]" for any list element.
func (f yamlFile) value(segments []string, variable string) *yaml.Node {
	n, whole := f.lookup(segments)
	if !whole || n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && refersTo(n.Value, variable) {
		return n
	}
	// lookup points at a mapping key; the value is the node after it.
	if v := f.valueAfterKey(n); v != nil && refersTo(v.Value, variable) {
		return v
	}
	return nil
}

// valueAfterKey finds key's value by searching the tree for the mapping that
// holds it; files are small, and keys carry no parent pointer.
func (f yamlFile) valueAfterKey(key *yaml.Node) *yaml.Node {
	var found *yaml.Node
	var visit func(*yaml.Node)
	visit = func(n *yaml.Node) {
		if n == nil || found != nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i] == key {
					found = n.Content[i+1]
					return
				}
			}
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	visit(f.root)
	return found
}
