// Package vip runs the cluster's virtual IP: keepalived in a plain container
// skep-keepalived on every manager (host network, NET_ADMIN, NET_RAW,
// NET_BROADCAST and SYS_NICE only), speaking unicast VRRPv3 with
// sub-second adverts at real-time priority, under skep's agent (`skep
// vip-agent`), which checks the tracked service without forking and feeds
// keepalived track files. This package renders keepalived's config,
// describes the container, runs the agent, reads what a host reports, and
// listens for foreign VRRP routers; apply decides when to use which.
package vip

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// Priorities. Managers get BasePriority minus their position in the file,
// so the first manager takes the VIP first. A failing track check costs
// CheckWeight, more than any spread of base priorities, so a healthy
// manager always beats a broken holder. The holder gets MasterBonus (less
// than CheckWeight, more than any spread of base priorities): a recovered
// manager of higher base priority therefore does not take the VIP back,
// which would move it a second time for no gain; yet the bonus never keeps
// the VIP on a holder whose check fails.
const (
	BasePriority = 200
	CheckWeight  = 100
	MasterBonus  = 50
	// MaxHosts keeps every priority within VRRP's 1..254 and the spread of
	// base priorities below MasterBonus.
	MaxHosts = 49
)

// Priority is the base priority of the i-th (from 0) keepalived host.
func Priority(i int) int { return BasePriority - i }

// Params is one host's keepalived configuration.
type Params struct {
	Cluster   string
	Host      string
	Interface string   // carries the VIP and the adverts
	SourceIP  string   // this host's address on Interface
	Peers     []string // the other keepalived hosts' addresses on their interface
	Address   string   // the VIP
	RouterID  int
	Priority  int
	Advert    time.Duration
	// Version is the VRRP version: 3 for skep; 2 only to measure stock
	// keepalived against it.
	Version int
}

// StockAdvert is keepalived's own advertisement interval (advert_int 1).
const StockAdvert = time.Second

// Stock turns p into stock keepalived's timing (VRRPv2, adverts every
// second), everything else equal, for the benchmark's baseline.
func Stock(p Params) Params {
	p.Version = 2
	p.Advert = StockAdvert
	return p
}

// ConfigDir is where the config lives, on the host and in the container.
const ConfigDir = "/etc/skep/keepalived"

// ConfigPath is the rendered config file.
const ConfigPath = ConfigDir + "/keepalived.conf"

// Render returns keepalived.conf for p.
func Render(p Params) ([]byte, error) {
	if p.Version != 2 && p.Version != 3 {
		return nil, fmt.Errorf("VRRP version %d: only 2 and 3 exist", p.Version)
	}
	if p.Priority < 1 || p.Priority > 254 {
		return nil, fmt.Errorf("priority %d out of VRRP's 1..254", p.Priority)
	}
	if p.Advert < 10*time.Millisecond || (p.Version == 2 && p.Advert%time.Second != 0) {
		return nil, fmt.Errorf("advert interval %s: VRRPv3 takes steps of 10ms, VRRPv2 whole seconds", p.Advert)
	}
	var buf bytes.Buffer
	err := configTmpl.Execute(&buf, struct {
		Params
		AdvertSecs                  string
		Weight, Bonus               int
		CheckFile, MasterFile, FIFO string
	}{p, secs(p.Advert), CheckWeight, MasterBonus, CheckFile, MasterFile, NotifyFIFO})
	return buf.Bytes(), err
}

// secs writes a duration as keepalived's decimal seconds (0.1, 1, 0.25).
func secs(d time.Duration) string {
	s := fmt.Sprintf("%.2f", d.Seconds())
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

var configTmpl = template.Must(template.New("keepalived.conf").Parse(`# keepalived for cluster {{.Cluster}}, host {{.Host}}: rendered by skep.
# Do not edit: skep apply rewrites it and reloads keepalived.

global_defs {
    router_id skep-{{.Cluster}}-{{.Host}}
    # keepalived runs no script; naming the user only stops it from looking
    # for its default script user at every start and reload.
    script_user root
    # No vrrp_rt_priority: skep's agent makes the VRRP process real-time
    # itself, because keepalived's own real-time setting breaks on reload
    # without CAP_SYS_RESOURCE (the agent's source says how).
    # State changes go to skep's agent (the container's main process),
    # which keeps the master bonus file below: keepalived runs no script.
    vrrp_notify_fifo {{.FIFO}}
    # After two masters (a partition healing, a frozen node thawing), the
    # one that yields answers once with its lower priority, and a master
    # that hears a lower priority re-sends its gratuitous ARPs: the
    # network's last word on the VIP's MAC address is the real master's.
    vrrp_higher_prio_send_advert
    vrrp_garp_lower_prio_repeat 5
    # Only the unicast peers below may speak to this router.
    vrrp_check_unicast_src
}

# The local service the VIP depends on, as skep's agent sees it: 0 while it
# answers, 1 once it does not (the agent applies its own fall and rise). A
# failure lowers the priority (weight) rather than putting the instance in
# FAULT: if the check fails everywhere (say the ingress is not deployed
# yet) someone still holds the VIP, and the first manager whose check
# passes takes it.
track_file skep_check {
    file {{.CheckFile}}
    weight -{{.Weight}}
}

# 1 while this host is the master (written by the agent from the notify
# FIFO), adding the master bonus to its priority: a recovered manager of
# higher base priority does not preempt the holder, so the VIP moves once
# per failure, not twice. Preemption stays on so a holder whose check
# fails is replaced.
track_file skep_master {
    file {{.MasterFile}}
    weight {{.Bonus}}
}

vrrp_instance skep {
    # Every host starts as backup; the election picks the master.
    state BACKUP
    interface {{.Interface}}
    virtual_router_id {{.RouterID}}
    priority {{.Priority}}
{{- if eq .Version 3}}
    # VRRP version 3 (RFC 5798): sub-second adverts. It has no
    # authentication (the RFC removed it); only the unicast peers below
    # are listened to.
    version 3
{{- else}}
    # VRRP version 2: stock keepalived, for comparison only.
    version 2
{{- end}}
    advert_int {{.AdvertSecs}}
    # Unicast: works where multicast does not (clouds, some switches).
    unicast_src_ip {{.SourceIP}}
    unicast_peer {
{{- range .Peers}}
        {{.}}
{{- end}}
    }
    virtual_ipaddress {
        {{.Address}}/32 dev {{.Interface}}
    }
    track_file {
        skep_check
        skep_master
    }
}
`))
