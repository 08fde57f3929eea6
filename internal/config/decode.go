package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.Node tree into a Go value field by field. yaml.v3's
// own strict mode stops at the first unknown field and its type errors carry
// no YAML path; walking ourselves lets us report every unknown field,
// duplicate key and type error at once, each with its path and line.
type decoder struct {
	problems []Problem
	lines    map[string]int // YAML path -> line of its key or sequence item
}

func newDecoder() *decoder { return &decoder{lines: map[string]int{}} }

func (d *decoder) add(path string, line int, format string, args ...any) {
	d.problems = append(d.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// decode fills v (addressable) from n; path names n in messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value means "not set": keep the zero value
	}
	switch v.Kind() {
	case reflect.Pointer:
		// Optional sections (storage, vip, ...): present in the file means set.
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fields, names := yamlFields(v.Type())
	if n.Kind != yaml.MappingNode {
		d.add(path, n.Line, "must be a mapping, not %s; allowed keys: %s", kindName(n), strings.Join(names, ", "))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key, ok := d.key(k, path)
		if !ok {
			continue
		}
		child := join(path, key)
		if prev, dup := seen[key]; dup {
			d.add(child, k.Line, "duplicate key; already set at line %d", prev)
			continue
		}
		seen[key] = k.Line
		idx, known := fields[key]
		if !known {
			d.add(child, k.Line, "unknown field; allowed: %s", strings.Join(names, ", "))
			continue
		}
		d.lines[child] = k.Line
		d.decode(val, v.Field(idx), child)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.add(path, n.Line, "must be a list (lines starting with \"- \"), not %s", kindName(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		child := fmt.Sprintf("%s[%d]", path, i)
		d.lines[child] = item.Line
		d.decode(item, out.Index(i), child)
	}
	v.Set(out)
}

// decodeMap handles map[string]T (node labels); keys are paths' last part,
// quoted because label keys commonly contain dots.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.add(path, n.Line, "must be a mapping of key: value, not %s", kindName(n))
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key, ok := d.key(k, path)
		if !ok {
			continue
		}
		child := fmt.Sprintf("%s[%q]", path, key)
		if prev, dup := seen[key]; dup {
			d.add(child, k.Line, "duplicate key; already set at line %d", prev)
			continue
		}
		seen[key] = k.Line
		d.lines[child] = k.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, child)
		out.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
	}
	v.Set(out)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	want := scalarName(v.Kind())
	if n.Kind != yaml.ScalarNode {
		d.add(path, n.Line, "must be %s, not %s", want, kindName(n))
		return
	}
	if !tagFits(n, v.Kind()) {
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			d.add(path, n.Line, "must be %s, got the quoted string %q; write it without quotes", want, n.Value)
			return
		}
		d.add(path, n.Line, "must be %s, got %q", want, n.Value)
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.add(path, n.Line, "must be %s, got %q", want, n.Value)
	}
}

// tagFits is stricter than yaml.v3, which silently truncates 22.5 to an int
// and reads YAML 1.1 words such as "yes" and "off" as booleans: a number or
// boolean must be written as one.
func tagFits(n *yaml.Node, k reflect.Kind) bool {
	switch scalarName(k) {
	case "a whole number":
		return n.ShortTag() == "!!int"
	case "true or false":
		return n.ShortTag() == "!!bool"
	}
	return true
}

// key returns a mapping key as a string, reporting keys that are not plain
// scalars and YAML merge keys (which would hide where a value came from).
func (d *decoder) key(k *yaml.Node, path string) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		d.add(path, k.Line, "keys must be plain strings, not %s", kindName(k))
		return "", false
	}
	if k.Tag == "!!merge" {
		d.add(path, k.Line, "merge keys (<<) are not supported; write the fields out")
		return "", false
	}
	return k.Value, true
}

// yamlFields maps yaml tag names of t's fields to field indexes, and lists
// the names in declaration order for "allowed:" messages.
func yamlFields(t reflect.Type) (map[string]int, []string) {
	fields := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = i
		names = append(names, name)
	}
	return fields, names
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "this value"
}

func scalarName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return "a " + k.String()
}
