package status

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report as indented JSON: the `skep status --output
// json` contract (README.md, "Status as JSON"). problems, unknown and nodes
// are always arrays.
func (r *Report) WriteJSON(w io.Writer) error {
	out := *r
	if out.Problems == nil {
		out.Problems = []string{}
	}
	if out.Unknown == nil {
		out.Unknown = []string{}
	}
	if out.Nodes == nil {
		out.Nodes = []Node{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // error texts hold "->"; keep them readable
	return enc.Encode(&out)
}
