// Package status is skep's read-only health model: it reads every host of a
// cluster (never changing anything), builds one Report, and renders it as a
// screen of text or as the JSON of the `skep status --output json` contract
// (README.md, "Status as JSON").
//
// Collection (collect.go) only gathers facts, each bounded by a short
// timeout; Build (build.go) turns those facts into a Report and is pure, so
// every rule about health is unit-tested without Docker or SSH.
package status

import (
	"slices"
	"time"
)

// Node states of the contract.
const (
	StateReady   = "ready"
	StateDown    = "down"
	StateUnknown = "unknown"
)

// Report is the cluster's health. Its JSON is the `skep status --output
// json` contract (README.md, "Status as JSON"); sections for later
// components (storage, vip, ingress, certificates, stacks) are added as
// pointer or slice fields with omitempty, so they appear only once their
// component is configured.
type Report struct {
	Cluster  string   `json:"cluster"`
	Healthy  bool     `json:"healthy"`
	Problems []string `json:"problems"` // never nil: always an array in JSON
	// Unknown lists what a host did not answer in time ("node1: heal
	// status not known (no answer in 2s)"): not known, so not a problem,
	// and not counted against Healthy. Never nil.
	Unknown []string `json:"unknown"`
	Nodes   []Node   `json:"nodes"`
	Swarm   *Swarm   `json:"swarm,omitempty"`
	Ingress *Ingress `json:"ingress,omitempty"`
	Storage *Storage `json:"storage,omitempty"`
	VIP     *VIP     `json:"vip,omitempty"`
	// Certificates is set (possibly empty) when the cluster has an acme
	// section; see certificates.go.
	Certificates []Certificate `json:"certificates,omitempty"`
	// Stacks are the app stacks, by name, when any exists (stacks.go).
	Stacks []Stack `json:"stacks,omitempty"`

	// strays are the problems about what the cluster file does not
	// declare (swarm nodes outside it, app stacks): apply cannot fix them,
	// so its verification ignores them.
	strays []string
	// sections are the components this report judged, in screen order.
	sections []Section
	// probeViews is how many managers' fresh views of the node probes
	// the nodes' probe states come from.
	probeViews int
}

// DeclaredProblems are the problems of the components the cluster file
// declares: all of them but those of swarm nodes outside the cluster file
// and of app stacks.
func (r *Report) DeclaredProblems() []string {
	out := []string{}
	for _, p := range r.Problems {
		if !slices.Contains(r.strays, p) {
			out = append(out, p)
		}
	}
	return out
}

// Node is one host of the cluster file as the swarm and SSH see it.
type Node struct {
	Name         string `json:"name"`         // host name from the cluster file
	Address      string `json:"address"`      // host address from the cluster file
	Role         string `json:"role"`         // manager | worker
	State        string `json:"state"`        // ready | down | unknown
	Availability string `json:"availability"` // active | pause | drain; "" if unknown
	Leader       bool   `json:"leader"`
	// LeaderLabel: the node carries placement.LeaderLabel, which the
	// leader agent keeps on the leader alone (briefly elsewhere after an
	// election, and nowhere while no other manager can take singletons).
	LeaderLabel bool `json:"leader_label"`
	// Probe is the managers' word on the node (internal/health): "down"
	// when more than half of the managers whose view is fresh get no
	// answer from its probe, "ok" when more than half get one, "unknown"
	// otherwise. Empty when no manager was asked.
	Probe string `json:"probe,omitempty"`
	// DownForSeconds and DownSince, for a node down by probe: how long
	// the view that has seen it down longest has (each by its own clock),
	// and the earliest start of the failures among them.
	DownForSeconds float64   `json:"down_for_seconds,omitempty"`
	DownSince      time.Time `json:"down_since,omitzero"`
	// SwarmNoticed, for a node down by probe: whether the swarm's own
	// state for it is no longer ready (down, disconnected or unknown).
	// Absent when the swarm's state for it is not known.
	SwarmNoticed *bool `json:"swarm_noticed,omitempty"`
	// swarmState is the swarm's state for a node down by probe, for the
	// text screen.
	swarmState string
}

// Swarm is the swarm's control plane health.
type Swarm struct {
	Managers          int  `json:"managers"`
	ReachableManagers int  `json:"reachable_managers"`
	Quorum            bool `json:"quorum"`
}
