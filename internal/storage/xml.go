package storage

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// The gluster CLI's --xml output is its stable, parseable form; the text
// output changes between releases.

type cliOutput struct {
	OpRet    int    `xml:"opRet"`
	OpErrno  int    `xml:"opErrno"`
	OpErrstr string `xml:"opErrstr"`
}

func (o cliOutput) err() error {
	if o.OpRet == 0 {
		return nil
	}
	msg := strings.TrimSpace(o.OpErrstr)
	if msg == "" {
		msg = fmt.Sprintf("gluster error %d", o.OpErrno)
	}
	return fmt.Errorf("%s", msg)
}

// Peer is one peer as a glusterd sees it.
type Peer struct {
	UUID      string   `xml:"uuid"`
	Hostname  string   `xml:"hostname"`
	Hostnames []string `xml:"hostnames>hostname"`
	Connected bool     `xml:"-"`
	State     string   `xml:"stateStr"`
	RawConn   int      `xml:"connected"`
}

// Names are every address the peer is known by.
func (p Peer) Names() []string {
	names := append([]string{p.Hostname}, p.Hostnames...)
	return names
}

// ParsePeers reads `gluster peer status --xml`.
func ParsePeers(data string) ([]Peer, error) {
	var out struct {
		cliOutput
		Peers []Peer `xml:"peerStatus>peer"`
	}
	if err := xml.Unmarshal([]byte(data), &out); err != nil {
		return nil, fmt.Errorf("peer status: %w", err)
	}
	if err := out.err(); err != nil {
		return nil, err
	}
	for i := range out.Peers {
		out.Peers[i].Connected = out.Peers[i].RawConn == 1
	}
	return out.Peers, nil
}

// Volume is a volume as `gluster volume info` describes it.
type Volume struct {
	Name      string
	Started   bool
	Status    string
	Replica   int
	Arbiter   int
	Bricks    []string // ADDRESS:PATH, in volume order
	ArbiterOf map[string]bool
	Options   map[string]string
}

// ParseVolumeInfo reads `gluster volume info VOL --xml`; nil, nil when the
// volume does not exist.
func ParseVolumeInfo(data string) (*Volume, error) {
	var out struct {
		cliOutput
		Volumes []struct {
			Name      string `xml:"name"`
			Status    int    `xml:"status"`
			StatusStr string `xml:"statusStr"`
			Replica   int    `xml:"replicaCount"`
			Arbiter   int    `xml:"arbiterCount"`
			Bricks    []struct {
				Name      string `xml:"name"`
				IsArbiter int    `xml:"isArbiter"`
			} `xml:"bricks>brick"`
			Options []struct {
				Name  string `xml:"name"`
				Value string `xml:"value"`
			} `xml:"options>option"`
		} `xml:"volInfo>volumes>volume"`
	}
	if err := xml.Unmarshal([]byte(data), &out); err != nil {
		return nil, fmt.Errorf("volume info: %w", err)
	}
	if err := out.err(); err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, err
	}
	if len(out.Volumes) == 0 {
		return nil, nil
	}
	v := out.Volumes[0]
	vol := &Volume{Name: v.Name, Started: v.Status == 1, Status: v.StatusStr, Replica: v.Replica, Arbiter: v.Arbiter,
		ArbiterOf: map[string]bool{}, Options: map[string]string{}}
	for _, b := range v.Bricks {
		vol.Bricks = append(vol.Bricks, b.Name)
		if b.IsArbiter == 1 {
			vol.ArbiterOf[b.Name] = true
		}
	}
	for _, o := range v.Options {
		vol.Options[o.Name] = o.Value
	}
	return vol, nil
}

// BrickStatus is one brick process as `gluster volume status` reports it.
type BrickStatus struct {
	Ref    string // ADDRESS:PATH
	Online bool
	PID    int
}

// ParseVolumeStatus reads `gluster volume status VOL --xml`: the brick
// processes (self-heal daemons and other services are left out) and whether
// the volume's self-heal daemons run.
func ParseVolumeStatus(data string) ([]BrickStatus, error) {
	var out struct {
		cliOutput
		Nodes []struct {
			Hostname string `xml:"hostname"`
			Path     string `xml:"path"`
			Status   int    `xml:"status"`
			PID      string `xml:"pid"`
		} `xml:"volStatus>volumes>volume>node"`
	}
	if err := xml.Unmarshal([]byte(data), &out); err != nil {
		return nil, fmt.Errorf("volume status: %w", err)
	}
	if err := out.err(); err != nil {
		return nil, err
	}
	var bricks []BrickStatus
	for _, n := range out.Nodes {
		if !strings.HasPrefix(n.Path, "/") {
			continue // "Self-heal Daemon" on "localhost" and the like
		}
		pid, _ := strconv.Atoi(n.PID)
		bricks = append(bricks, BrickStatus{Ref: n.Hostname + ":" + n.Path, Online: n.Status == 1, PID: pid})
	}
	return bricks, nil
}

// HealBrick is one brick's entry of `gluster volume heal VOL info summary`.
type HealBrick struct {
	Ref        string
	Connected  bool
	Pending    int
	SplitBrain int
}

// ParseHealSummary reads `gluster volume heal VOL info summary --xml`.
func ParseHealSummary(data string) ([]HealBrick, error) {
	var out struct {
		cliOutput
		Bricks []struct {
			Name       string `xml:"name"`
			Status     string `xml:"status"`
			Pending    string `xml:"numberOfEntriesInHealPending"`
			SplitBrain string `xml:"numberOfEntriesInSplitBrain"`
			Possibly   string `xml:"numberOfEntriesPossiblyHealing"`
		} `xml:"healInfo>bricks>brick"`
	}
	if err := xml.Unmarshal([]byte(data), &out); err != nil {
		return nil, fmt.Errorf("heal info: %w", err)
	}
	if err := out.err(); err != nil {
		return nil, err
	}
	var bricks []HealBrick
	for _, b := range out.Bricks {
		pending, _ := strconv.Atoi(strings.TrimSpace(b.Pending))
		possibly, _ := strconv.Atoi(strings.TrimSpace(b.Possibly))
		split, _ := strconv.Atoi(strings.TrimSpace(b.SplitBrain))
		bricks = append(bricks, HealBrick{Ref: b.Name, Connected: b.Status == "Connected",
			Pending: pending + possibly, SplitBrain: split})
	}
	return bricks, nil
}
