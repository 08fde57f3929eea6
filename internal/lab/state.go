package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
)

// Lab is what skep remembers of one lab: everything a command needs to find
// its nodes and its cluster file. It is stored as lab.json in the state dir.
type Lab struct {
	Name        string `json:"name"`
	Nodes       int    `json:"nodes"`
	StateDir    string `json:"state_dir"`
	ClusterFile string `json:"cluster_file"`
	VIP         string `json:"vip"`
	CAFile      string `json:"ca_file,omitempty"`
	Subnet      string `json:"subnet"`
	Network     string `json:"network"`
	// StorageMount is the cluster file's storage.mount when not the
	// default (skep lab up --storage-mount).
	StorageMount string `json:"storage_mount,omitempty"`
}

const labLabel = "skep.lab"

var labNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// ValidName reports whether name can name a lab (it becomes part of
// container, network and DNS names).
func ValidName(name string) error {
	if !labNameRE.MatchString(name) {
		return fmt.Errorf("lab name %q: use 1-31 lowercase letters, digits and '-', starting with a letter", name)
	}
	return nil
}

// Home is the directory holding every lab's state: $SKEP_HOME, else
// $XDG_STATE_HOME/skep, else ~/.local/state/skep.
func Home() string {
	if h := os.Getenv("SKEP_HOME"); h != "" {
		return h
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "skep")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".local", "state", "skep")
}

func stateDir(name string) string { return filepath.Join(Home(), "labs", name) }

// NodeName is the node's name in the cluster file; ContainerName is the
// container backing it, NAME-nodeN (README.md, "The lab"): users and
// tests address nodes by these names, so they are a contract.
func NodeName(i int) string                 { return fmt.Sprintf("node%d", i) }
func ContainerName(lab, node string) string { return lab + "-" + node }

func (l *Lab) keyFile() string        { return filepath.Join(l.StateDir, "id_ed25519") }
func (l *Lab) knownHostsFile() string { return filepath.Join(l.StateDir, "known_hosts") }

func (l *Lab) save() error {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.StateDir, "lab.json"), append(data, '\n'), 0o600)
}

// Exists tells whether a lab of that name has state on this machine, even
// state Load cannot read: a name taken is taken.
func Exists(name string) bool {
	_, err := os.Stat(filepath.Join(stateDir(name), "lab.json"))
	return err == nil
}

// Load reads a lab's state; it fails when the lab does not exist.
func Load(name string) (*Lab, error) {
	data, err := os.ReadFile(filepath.Join(stateDir(name), "lab.json"))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("no lab named %q (see skep lab ls)", name)
	}
	if err != nil {
		return nil, err
	}
	var l Lab
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("lab %s: corrupt state %s: %w", name, filepath.Join(stateDir(name), "lab.json"), err)
	}
	return &l, nil
}

// List returns every lab with state on this machine, sorted by name.
func List() ([]*Lab, error) {
	entries, err := os.ReadDir(filepath.Join(Home(), "labs"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var labs []*Lab
	for _, e := range entries {
		if l, err := Load(e.Name()); err == nil {
			labs = append(labs, l)
		}
	}
	sort.Slice(labs, func(i, j int) bool { return labs[i].Name < labs[j].Name })
	return labs, nil
}
