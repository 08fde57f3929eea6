package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// A benchmark refused a lab name must leave that lab alone: the release it
// defers is not the removal.
func TestClaimNeverRemovesAnExistingLab(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SKEP_HOME", home)
	dir := filepath.Join(home, "labs", "mine")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Even state that cannot be read marks the name as taken.
	if err := os.WriteFile(filepath.Join(dir, "lab.json"), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	removed := false
	release, err := claim("mine", func() { removed = true })
	if err == nil {
		t.Fatal("an existing lab was not refused")
	}
	release()
	if removed {
		t.Fatal("releasing a refused claim removed the existing lab")
	}

	release, err = claim("fresh", func() { removed = true })
	if err != nil {
		t.Fatalf("a free name was refused: %v", err)
	}
	release()
	if !removed {
		t.Fatal("releasing a claimed lab did not remove it")
	}
}
