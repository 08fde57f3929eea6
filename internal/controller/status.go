package controller

import "time"

// StatusFile is the controller's status under its state directory; skep
// status reads it (over SSH, from any node: the volume is shared).
const StatusFile = "status.json"

// StatusInterval is how often the controller rewrites its status even when
// nothing changed, so a reader can tell a live controller from a dead one.
const StatusInterval = time.Minute

// Status is what the controller knows of the cluster's certificates.
type Status struct {
	Updated      time.Time    `json:"updated"`
	CA           string       `json:"ca"`                // ACME directory URL
	Account      string       `json:"account,omitempty"` // account URI once registered
	Certificates []CertStatus `json:"certificates"`
	Failures     []Failure    `json:"failures,omitempty"`
}

// CertStatus is one certificate being served.
type CertStatus struct {
	Names    []string  `json:"names"`
	NotAfter time.Time `json:"not_after"`
	Issuer   string    `json:"issuer"`
	Serial   string    `json:"serial"`
}

// Failure is a name set the controller cannot get a certificate for yet.
type Failure struct {
	Names       []string  `json:"names"`
	Error       string    `json:"error"`
	At          time.Time `json:"at"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}
