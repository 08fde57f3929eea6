package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"skep/internal/config"
	"skep/internal/lab"
)

// clusterSource finds the cluster file: -f, else --lab, else
// $SKEP_CLUSTER, else the only lab on this machine.
type clusterSource struct {
	file string
	lab  string
}

func (s *clusterSource) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&s.file, "file", "f", "", "cluster file (default: $SKEP_CLUSTER, or the cluster file of the only lab)")
	cmd.Flags().StringVar(&s.lab, "lab", "", "use the cluster file of this lab")
}

func (s *clusterSource) path() (string, error) {
	switch {
	case s.file != "":
		return s.file, nil
	case s.lab != "":
		l, err := lab.Load(s.lab)
		if err != nil {
			return "", badInput(err, "skep lab ls lists the labs")
		}
		return l.ClusterFile, nil
	case os.Getenv("SKEP_CLUSTER") != "":
		return os.Getenv("SKEP_CLUSTER"), nil
	}
	labs, err := lab.List()
	if err != nil {
		return "", err
	}
	switch len(labs) {
	case 1:
		return labs[0].ClusterFile, nil
	case 0:
		return "", badInput(errors.New("no cluster file given"), "pass -f cluster.yaml (skep init writes one), set SKEP_CLUSTER, or start a lab with skep lab up")
	}
	var names []string
	for _, l := range labs {
		names = append(names, l.Name)
	}
	return "", badInput(fmt.Errorf("no cluster file given and %d labs exist (%s)", len(labs), strings.Join(names, ", ")), "choose one with --lab NAME or -f FILE")
}

// load reads and validates the cluster file; every problem is bad input.
func (s *clusterSource) load() (*config.Cluster, error) {
	p, err := s.path()
	if err != nil {
		return nil, err
	}
	c, err := config.Load(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, badInput(fmt.Errorf("cluster file %s does not exist", p), "skep init > cluster.yaml writes an example")
	}
	return c, err
}
