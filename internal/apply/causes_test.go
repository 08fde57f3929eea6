package apply

import (
	"errors"
	"fmt"
	"testing"
)

// Several hosts' causes stay reachable through the error that names them.
func TestCausesKeepEachCause(t *testing.T) {
	refused := errors.New("connection refused")
	err := fmt.Errorf("no declared manager manages the swarm: %w", causes{
		fmt.Errorf("node1: %w", refused), errors.New("node2: not in a swarm (state inactive)")})
	if !errors.Is(err, refused) {
		t.Fatal("the first host's cause is lost")
	}
	want := "no declared manager manages the swarm: node1: connection refused; node2: not in a swarm (state inactive)"
	if err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
}
