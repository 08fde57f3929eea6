package config

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// Write renders c as a cluster file (two-space indent, empty fields left
// out). It writes the values as they are: a loaded Cluster has its defaults
// applied, so those appear explicitly. Path is not written.
func Write(c *Cluster) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
