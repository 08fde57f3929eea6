package health

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A view is replaced whole, read back as written, and leaves no temporary
// file a reader's *.json could pick up.
func TestWriteViewAtomic(t *testing.T) {
	dir := t.TempDir()
	v := view("node1", 10, map[string]NodeView{"node2": down(7, "no answer in 1s"), "node3": up(0)})
	for i := 0; i < 2; i++ {
		if err := WriteView(dir, v); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "node1.json" {
		t.Fatalf("directory holds %v", entries)
	}
	data, err := os.ReadFile(filepath.Join(dir, "node1.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseView(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Errorf("read back %+v, want %+v", got, v)
	}
	if _, err := ParseView([]byte(`{"by":"node1","at":"2026-01-01T00:00:00Z","nodes":{"node2":{"ok":tr`)); err == nil {
		t.Error("a cut view parsed")
	}
	if _, err := ParseView([]byte(`{"nodes":{}}`)); err == nil {
		t.Error("a view without by/at parsed")
	}
	if err := WriteView(filepath.Join(dir, "missing"), v); err == nil {
		t.Error("wrote into a missing directory")
	}
}
