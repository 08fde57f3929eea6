package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/image"
	"skep/internal/lab"
)

// NewLabCommand groups the lab's commands.
func NewLabCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run a skep cloud on this machine's Docker engine, and break it on purpose",
		Long: `A lab is a skep cloud whose nodes are machine-like containers on the local
Docker engine: each runs systemd, sshd and its own Docker engine. skep lab up
builds the node image (once, from Debian packages), starts the nodes, writes an
ordinary cluster file and applies it over SSH, exactly as on real machines.
Faults (kill, pause, partition) let you watch the cloud heal.`,
		Example: `  skep lab up                 # 3 nodes, lab "skep"
  skep status                 # commands find the lab's cluster file
  skep lab kill node2         # the machine dies
  skep lab start node2        # and comes back
  skep lab down               # remove everything of the lab`,
	}
	cmd.AddCommand(newLabUpCommand(g), newLabDownCommand(), newLabLsCommand(), newLabSSHCommand(), newLabBenchCommand(), newLabWhoamiCommand(), newLabProbeCommand())
	for _, f := range []struct {
		fault lab.Fault
		short string
	}{
		{lab.Kill, "Kill a node's container (the machine dies)"},
		{lab.Start, "Start a killed node again (the machine boots)"},
		{lab.Pause, "Freeze a node (every process stops; TCP still completes handshakes)"},
		{lab.Unpause, "Thaw a frozen node"},
		{lab.Partition, "Cut a node off from the other nodes and the VIP"},
		{lab.Heal, "Restore a partitioned node's links"},
	} {
		cmd.AddCommand(newLabFaultCommand(f.fault, f.short))
	}
	return cmd
}

func dockerClient() (*client.Client, error) {
	return image.Local()
}

type labUpOptions struct {
	name         string
	nodes        int
	noApply      bool
	warmImages   bool
	storageMount string
}

func newLabUpCommand(g *globals) *cobra.Command {
	o := &labUpOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create (or complete) a lab and apply its cluster file",
		Long: `up builds the node image when the engine lacks it (debootstrap, about a
minute, then cached by recipe hash), creates the lab network and node
containers, writes the lab's SSH key, known_hosts and cluster file into its
state directory, and runs apply. Running it again on an existing lab starts
stopped nodes and applies again.`,
		Example: `  skep lab up
  skep lab up --name demo --nodes 5
  skep lab up --storage-mount /srv/shared   # the shared volume elsewhere than /var/data
  skep lab up --no-apply && time skep apply --lab skep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lab.ValidName(o.name); err != nil {
				return badInput(err, "")
			}
			cli, err := dockerClient()
			if err != nil {
				return err
			}
			defer cli.Close()
			out := cmd.OutOrStdout()
			p := newProgress(out)
			l, err := lab.Up(cmd.Context(), cli, lab.UpOptions{Name: o.name, Nodes: o.nodes, StorageMount: o.storageMount, Logf: p.logf, WarmImages: !o.noApply || o.warmImages})
			if err != nil {
				return err
			}
			p.logf("lab %s: %d nodes on %s, cluster file %s", l.Name, l.Nodes, l.Subnet, l.ClusterFile)
			if !o.noApply {
				c, err := config.Load(l.ClusterFile)
				if err != nil {
					return err
				}
				res, err := apply.Run(cmd.Context(), apply.Options{Cluster: c, Wet: true, Logf: p.hostf, SecretDir: secretDir(c)})
				if err != nil {
					return err
				}
				p.logf("applied %d change(s) in %.1fs", len(res.Steps), res.Elapsed.Seconds())
			}
			fmt.Fprintf(out, "\nlab %s is up. Next:\n  skep status%s\n  skep lab ssh node1%s\n  skep lab down%s\n",
				l.Name, labFlag(l.Name), labNameFlag(l.Name), labNameFlag(l.Name))
			return nil
		},
	}
	cmd.Flags().StringVar(&o.name, "name", "skep", "lab name (containers are NAME-node1..N)")
	cmd.Flags().IntVar(&o.nodes, "nodes", 3, "number of nodes; the first 3 are managers")
	cmd.Flags().BoolVar(&o.noApply, "no-apply", false, "only create the machines and the cluster file")
	// A caller that applies next on its own (skep plan first, say) still
	// wants the long image builds to overlap the nodes' start.
	cmd.Flags().BoolVar(&o.warmImages, "warm-images", false, "with --no-apply: still build the images apply will need while the nodes start")
	cmd.Flags().StringVar(&o.storageMount, "storage-mount", "", "storage.mount of the lab's cluster file (default "+config.DefaultStorageMount+"; kept by later runs)")
	return cmd
}

func labFlag(name string) string {
	if name == "skep" {
		return ""
	}
	return " --lab " + name
}

func labNameFlag(name string) string {
	if name == "skep" {
		return ""
	}
	return " --name " + name
}

func newLabDownCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:     "down",
		Short:   "Remove every container, network, volume and state file of a lab",
		Example: "  skep lab down\n  skep lab down --name demo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lab.ValidName(name); err != nil {
				return badInput(err, "")
			}
			cli, err := dockerClient()
			if err != nil {
				return err
			}
			defer cli.Close()
			p := newProgress(cmd.OutOrStdout())
			if err := lab.Down(cmd.Context(), cli, name, p.logf); err != nil {
				return err
			}
			p.logf("lab %s removed", name)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "skep", "lab name")
	return cmd
}

func newLabLsCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List the labs on this machine",
		Example: "  skep lab ls\n  skep lab ls --output json | jq -r '.[0].cluster_file'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			labs, err := lab.List()
			if err != nil {
				return err
			}
			if output == "json" {
				if labs == nil {
					labs = []*lab.Lab{}
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(labs)
			}
			if output != "text" {
				return badInput(fmt.Errorf("--output %q: use text or json", output), "")
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tNODES\tSUBNET\tVIP\tCLUSTER FILE")
			for _, l := range labs {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", l.Name, l.Nodes, l.Subnet, l.VIP, l.ClusterFile)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func newLabFaultCommand(f lab.Fault, short string) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:     string(f) + " NODE",
		Short:   short,
		Example: fmt.Sprintf("  skep lab %s node2", f),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := lab.Load(name)
			if err != nil {
				return badInput(err, "")
			}
			cli, err := dockerClient()
			if err != nil {
				return err
			}
			defer cli.Close()
			if err := l.Inflict(cmd.Context(), cli, args[0], f); err != nil {
				if strings.Contains(err.Error(), "has no node") {
					return badInput(err, "")
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s done\n", args[0], f)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "skep", "lab name")
	return cmd
}

func newLabSSHCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "ssh NODE [-- COMMAND...]",
		Short: "Open a shell (or run a command) on a lab node over SSH",
		Example: `  skep lab ssh node1
  skep lab ssh node2 -- docker node ls`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, c, err := labCluster(name)
			if err != nil {
				return err
			}
			h, ok := c.HostByName(args[0])
			if !ok {
				return badInput(fmt.Errorf("lab %s has no node %q", l.Name, args[0]), "")
			}
			sshPath, err := exec.LookPath("ssh")
			if err != nil {
				return fmt.Errorf("the ssh client is not installed (apt-get install -y openssh-client)")
			}
			argv := []string{"ssh", "-i", h.KeyFile, "-o", "UserKnownHostsFile=" + c.SSH.KnownHosts,
				"-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-l", h.User, h.Address}
			argv = append(argv, args[1:]...)
			return syscall.Exec(sshPath, argv, os.Environ())
		},
	}
	cmd.Flags().StringVar(&name, "name", "skep", "lab name")
	return cmd
}

// labCluster is a lab and its cluster file; an unknown lab is bad input.
func labCluster(name string) (*lab.Lab, *config.Cluster, error) {
	l, err := lab.Load(name)
	if err != nil {
		return nil, nil, badInput(err, "")
	}
	c, err := config.Load(l.ClusterFile)
	if err != nil {
		return nil, nil, err
	}
	return l, c, nil
}
