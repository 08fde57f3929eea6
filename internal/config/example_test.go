package config

import (
	"strings"
	"testing"
)

// The example `skep init` prints must be valid as it stands.
func TestExampleIsValid(t *testing.T) {
	c, err := Parse([]byte(Example()), "")
	if err != nil {
		t.Fatalf("example has problems:\n%v", err)
	}
	if len(c.Managers()) != 3 || c.SSH.KeyFile != "" {
		t.Errorf("example should have 3 managers and use the agent: %+v", c)
	}
	for _, h := range c.Hosts {
		if !strings.HasPrefix(h.Address, "192.0.2.") {
			t.Errorf("example address %s is not in the documentation range", h.Address)
		}
	}
}
