package health

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// View is one manager's word on every node, as its prober last wrote it.
// Times are by that manager's clock. Its JSON is the file status reads:
//
//	{"by": "node1", "at": "...", "nodes": {"node2": {"id": "...", "ok": false,
//	 "since": "...", "last_ok": "...", "error": "no answer in 1s"}}}
type View struct {
	By    string              `json:"by"`
	At    time.Time           `json:"at"`
	Nodes map[string]NodeView `json:"nodes"`
}

// NodeView is one node in a view, by its swarm host name.
type NodeView struct {
	ID string `json:"id,omitempty"`
	OK bool   `json:"ok"`
	// Since is when the node was first seen in its current state (the
	// start of the first round that saw it so).
	Since  time.Time `json:"since"`
	LastOK time.Time `json:"last_ok,omitzero"`
	// Error is why the last probe failed ("" when OK).
	Error string `json:"error,omitempty"`
}

// MaxViewBytes bounds a view file as status reads it; a view of a
// hundred nodes takes about 20 KB.
const MaxViewBytes = 256 << 10

// FileName is the view file of the manager whose swarm host name is by.
func FileName(by string) string { return by + ".json" }

// WriteView replaces dir/FileName(v.By) with v in one rename, so a reader
// never sees half a view.
func WriteView(dir string, v View) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".view-*.tmp")
	if err != nil {
		return fmt.Errorf("write the node health view: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a rename, there is nothing left to remove
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write the node health view: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName(v.By))); err != nil {
		return fmt.Errorf("write the node health view: %w", err)
	}
	return nil
}

// ParseView reads a view file's content.
func ParseView(data []byte) (View, error) {
	var v View
	if err := json.Unmarshal(data, &v); err != nil {
		return View{}, fmt.Errorf("node health view: %w", err)
	}
	if v.By == "" || v.At.IsZero() {
		return View{}, fmt.Errorf("node health view: no \"by\" or \"at\"")
	}
	return v, nil
}
