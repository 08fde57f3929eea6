// Package bench measures skep on a lab and prints figures with their ratio
// against a baseline measured in the same run. Benchmarks only ever send
// traffic to the lab's own containers and networks, bounded in count and
// time.
package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Row is one measured figure.
type Row struct {
	What   string
	Value  string
	Versus string // the baseline and ratio, or ""
}

// Print writes rows as an aligned table.
func Print(w io.Writer, title string, rows []Row) {
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.What, r.Value, r.Versus)
	}
	tw.Flush()
}

// Secs formats a duration as seconds with one decimal.
func Secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// Ratio formats a/b.
func Ratio(a, b time.Duration) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}
