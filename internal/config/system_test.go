package config

import (
	"errors"
	"strings"
	"testing"
)

func storageFile(storage string) []byte {
	return []byte(`name: t
hosts:
  - {name: node1, address: 127.0.0.1}
  - {name: node2, address: 127.0.0.2}
  - {name: node3, address: 127.0.0.3}
storage:
` + storage)
}

// The system volume follows the storage section: its name, brick, mount
// and the controller's state directory are derived, never constants.
func TestSystemDerivedFromStorage(t *testing.T) {
	c, err := Parse(storageFile("  volume: data\n  brick: /srv/gluster/brick\n  mount: /srv/shared\n  arbiter: true\n  options: {performance.cache-size: \"64MB\", storage.owner-uid: \"1000\"}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	sys := c.Storage.System()
	if sys.Volume != "data-system" || sys.Brick != "/srv/gluster/brick-system" || sys.Mount != DefaultSystemMount ||
		!sys.Arbiter || sys.Replica != 3 || sys.Options["performance.cache-size"] != "64MB" || sys.Options["storage.owner-uid"] != "" {
		t.Fatalf("system volume %+v", sys)
	}
	if got := c.ControllerStateDir(); got != DefaultSystemMount+"/controller" {
		t.Fatalf("controller state %s", got)
	}
	c, err = Parse(storageFile("  system_mount: /srv/skep\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ControllerStateDir(); got != "/srv/skep/controller" {
		t.Fatalf("controller state %s", got)
	}
	if (&Cluster{}).ControllerStateDir() != "" || (*Storage)(nil).System() != nil {
		t.Fatal("no storage must mean no system volume")
	}
}

func TestSystemMountProblems(t *testing.T) {
	for _, tc := range []struct{ storage, path, msg string }{
		{"  system_mount: /var/data/skep\n", "storage.system_mount", "overlaps storage.mount /var/data"},
		{"  mount: /srv\n  system_mount: /srv/skep\n", "storage.system_mount", "overlaps storage.mount"},
		{"  system_mount: /srv\n  mount: /srv/data\n", "storage.system_mount", "overlaps storage.mount"},
		{"  system_mount: /var/data\n", "storage.system_mount", "overlaps storage.mount"},
		{"  system_mount: /var/lib/skep/brick-system\n", "storage.system_mount", "overlaps the brick directory /var/lib/skep/brick-system"},
		{"  system_mount: /var/lib/skep/system\n", "storage.system_mount", "brick's parent directory"},
		{"  system_mount: skep\n", "storage.system_mount", "not an absolute path"},
		{"  mount: /var/lib/skep/brick-system\n", "storage.mount", "brick directory of skep's own volume"},
	} {
		_, err := Parse(storageFile(tc.storage), "")
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%q: want a validation error, got %v", tc.storage, err)
			continue
		}
		found := false
		for _, p := range ve.Problems {
			found = found || (p.Path == tc.path && strings.Contains(p.Message, tc.msg))
		}
		if !found {
			t.Errorf("%q: want %s: ...%s..., got %v", tc.storage, tc.path, tc.msg, ve.Problems)
		}
	}
	if _, err := Parse(storageFile("  system_mount: /srv/skep-state\n"), ""); err != nil {
		t.Errorf("a separate system_mount refused: %v", err)
	}
}
