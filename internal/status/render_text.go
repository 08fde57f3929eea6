package status

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report as one screen: a header with the cluster's
// name and verdict, a table of nodes (the leader marked "*", the node
// carrying the leader label "labelled"), the swarm's
// quorum line, the problems, and what is not known (hosts that did not
// answer a question in time).
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	verdict := "HEALTHY"
	if !r.Healthy {
		verdict = "UNHEALTHY"
	}
	fmt.Fprintf(bw, "cluster %s: %s\n\n", r.Cluster, verdict)

	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tADDRESS\tROLE\tSTATE\tAVAILABILITY\tLEADER")
	for _, n := range r.Nodes {
		var marks []string
		if n.Leader {
			marks = append(marks, "*")
		}
		if n.LeaderLabel {
			marks = append(marks, "labelled")
		}
		leader := strings.Join(marks, " ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n",
			n.Name, n.Address, dash(n.Role), dash(n.State), dash(n.Availability), leader)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		if line != "" {
			fmt.Fprintln(bw, strings.TrimRight(line, " \n"))
		}
	}

	if s := r.Swarm; s != nil {
		fmt.Fprintf(bw, "\nswarm: managers %d, reachable %d, quorum %s\n", s.Managers, s.ReachableManagers, yesNo(s.Quorum))
	}
	r.writeProbes(bw)
	r.writeSections(bw)

	if len(r.Problems) == 0 {
		fmt.Fprintln(bw, "\nno problems")
	} else {
		fmt.Fprintf(bw, "\nproblems (%d):\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(bw, "  - %s\n", p)
		}
	}
	if len(r.Unknown) > 0 {
		fmt.Fprintf(bw, "\nnot known (%d):\n", len(r.Unknown))
		for _, u := range r.Unknown {
			fmt.Fprintf(bw, "  - %s\n", u)
		}
	}
	return bw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
