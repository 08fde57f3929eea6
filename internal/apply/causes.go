package apply

import "strings"

// causes keeps several hosts' errors as the cause of one: its message is
// theirs on one line, and errors.Is/As see each of them.
type causes []error

func (c causes) Error() string {
	msgs := make([]string, len(c))
	for i, err := range c {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (c causes) Unwrap() []error { return c }
