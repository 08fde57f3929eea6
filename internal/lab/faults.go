package lab

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// Fault is a failure the lab can inflict on a node, named as on the CLI.
type Fault string

const (
	Kill      Fault = "kill"      // the machine dies: docker kill
	Start     Fault = "start"     // it boots again: docker start
	Pause     Fault = "pause"     // it freezes: every process stops, the kernel still answers TCP
	Unpause   Fault = "unpause"   // it thaws
	Partition Fault = "partition" // its links to the other nodes are cut
	Heal      Fault = "heal"      // they are restored
)

// partitionChain holds the rules that cut a node off; a chain of our own
// makes healing exact and leaves the inner engine's rules alone.
const partitionChain = "SKEP-PARTITION"

// Inflict applies a fault to one node of the lab.
func (l *Lab) Inflict(ctx context.Context, cli *client.Client, node string, f Fault) error {
	idx, err := l.nodeIndex(node)
	if err != nil {
		return err
	}
	name := ContainerName(l.Name, node)
	switch f {
	case Kill:
		return cli.ContainerKill(ctx, name, "KILL")
	case Start:
		return cli.ContainerStart(ctx, name, container.StartOptions{})
	case Pause:
		return cli.ContainerPause(ctx, name)
	case Unpause:
		return cli.ContainerUnpause(ctx, name)
	case Partition:
		return l.execNode(ctx, cli, name, partitionScript(l.peersOf(idx)))
	case Heal:
		return l.execNode(ctx, cli, name, healScript)
	}
	return fmt.Errorf("unknown fault %q", f)
}

func (l *Lab) nodeIndex(node string) (int, error) {
	for i := 1; i <= l.Nodes; i++ {
		if NodeName(i) == node {
			return i, nil
		}
	}
	return 0, fmt.Errorf("lab %s has no node %q (nodes: node1..node%d)", l.Name, node, l.Nodes)
}

func (l *Lab) peersOf(idx int) []string {
	var peers []string
	for i := 1; i <= l.Nodes; i++ {
		if i != idx {
			peers = append(peers, nodeIP(l.Subnet, i))
		}
	}
	return append(peers, vipIP(l.Subnet))
}

func partitionScript(peers []string) string {
	var b strings.Builder
	b.WriteString(healScript + "\n")
	fmt.Fprintf(&b, "iptables -N %s\n", partitionChain)
	for _, p := range peers {
		if net.ParseIP(p) == nil {
			continue
		}
		fmt.Fprintf(&b, "iptables -A %s -s %s -j DROP\niptables -A %s -d %s -j DROP\n", partitionChain, p, partitionChain, p)
	}
	fmt.Fprintf(&b, "iptables -I INPUT -j %[1]s\niptables -I OUTPUT -j %[1]s\niptables -I FORWARD -j %[1]s\n", partitionChain)
	return b.String()
}

var healScript = fmt.Sprintf(`for c in INPUT OUTPUT FORWARD; do while iptables -D $c -j %[1]s 2>/dev/null; do :; done; done
iptables -F %[1]s 2>/dev/null || true
iptables -X %[1]s 2>/dev/null || true`, partitionChain)

// execNode runs a root shell script inside the node container; faults are
// the lab's business, so they go through the local engine, not SSH.
func (l *Lab) execNode(ctx context.Context, cli *client.Client, name, script string) error {
	ex, err := cli.ContainerExecCreate(ctx, name, container.ExecOptions{Cmd: []string{"sh", "-ec", script}})
	if err != nil {
		return err
	}
	if err := cli.ContainerExecStart(ctx, ex.ID, container.ExecStartOptions{Detach: true}); err != nil {
		return err
	}
	for {
		st, err := cli.ContainerExecInspect(ctx, ex.ID)
		if err != nil {
			return err
		}
		if !st.Running {
			if st.ExitCode != 0 {
				return fmt.Errorf("%s: fault script exited %d", name, st.ExitCode)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
