package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestConfirmRemoveData(t *testing.T) {
	code := func(err error) int {
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return -1
	}
	cases := []struct {
		name     string
		input    string
		terminal bool
		yes      bool
		ok       bool
	}{
		{"yes skips the question", "", false, true, true},
		{"no terminal, no yes", "prod\n", false, false, false},
		{"the name typed", "prod\n", true, false, true},
		{"the name without newline", "prod", true, false, true},
		{"another name", "staging\n", true, false, false},
		{"nothing typed", "", true, false, false},
	}
	for _, c := range cases {
		var out bytes.Buffer
		err := confirmRemoveData(strings.NewReader(c.input), &out, c.terminal, "prod", c.yes)
		if c.ok != (err == nil) {
			t.Errorf("%s: err = %v", c.name, err)
		}
		if err != nil && code(err) != ExitBadInput {
			t.Errorf("%s: exit code %d, want %d", c.name, code(err), ExitBadInput)
		}
		asked := strings.Contains(out.String(), "Type the cluster's name (prod)")
		if asked != (c.terminal && !c.yes) {
			t.Errorf("%s: asked = %v (%q)", c.name, asked, out.String())
		}
	}
}
