package storage

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"skep/internal/config"
)

// PingTimeoutOption is the volume option of GlusterFS's ping timeout,
// which skep sets from the cluster file's tuning.storage_ping_timeout.
const PingTimeoutOption = "network.ping-timeout"

// StockPingTimeout is GlusterFS's own network.ping-timeout.
const StockPingTimeout = 42 * time.Second

// Option is one volume option skep sets, with why.
type Option struct {
	Key, Value, Why string
}

// defaultOptions are set on purpose on every skep volume; the cluster file's
// storage.options override the values. The ping timeout is not here: it
// comes from the tuning section (config.DefaultStoragePingTimeout says
// why 4 s). Nothing here lets GlusterFS discard
// a copy of a file on its own (no favorite-child-policy): a split brain
// waits for a human rather than losing a write.
var defaultOptions = []Option{
	// Client quorum: a write succeeds only while a majority of the bricks
	// (2 of 3) take it, so two sides of a partition can never both accept
	// writes to one file (split brain). With 2 of 3 up, writes go on.
	{"cluster.quorum-type", "auto", "writes need 2 of 3 bricks, so a cut-off node cannot split the brain"},
	// Server quorum stays off (GlusterFS's default), on purpose. Client
	// quorum above already stops a cut-off node from writing. With server
	// quorum on, glusterd kills the brick of a node cut off from most
	// peers; on heal the brick restarts on a new port and that node's own
	// FUSE mount never reconnects to it (measured: the mount's log named
	// the new port and opened no socket to it, while every check said
	// healthy). The next fault of another node then left that node's mount
	// with 1 of 3 bricks: "Transport endpoint is not connected", and a
	// task moved there could not start for minutes.
	{"cluster.server-quorum-type", "none", "client quorum already fences a cut-off node; killing its brick strands the node's own mount after the heal"},
	// The self-heal daemon copies what a returning brick missed without
	// anyone running apply or touching the files (on by default; set so
	// nobody's override of it goes unnoticed).
	{"cluster.self-heal-daemon", "on", "a node that returns is healed without anyone running apply"},
	// The daemon heals at once when it sees a brick come back, but it only
	// sees that if it noticed the brick go: a node frozen or cut off while
	// the daemon had nothing to send it never disconnects, and its missed
	// writes waited for the next periodic crawl (stock every 600 s;
	// measured: still 6 entries pending 2 min after a thaw). Crawling the
	// heal index every 10 s costs a directory read per brick.
	{"cluster.heal-timeout", "10", "a node that was frozen or cut off is healed within ~10 s, not up to 10 min"},
}

// Options returns the options skep wants on the volume, the cluster file's
// overrides applied, and the ping timeout of its tuning section, in key
// order.
func Options(s *config.Storage, t config.Tuning) []Option {
	byKey := map[string]Option{}
	for _, o := range defaultOptions {
		byKey[o.Key] = o
	}
	for k, v := range s.Options {
		byKey[k] = Option{Key: k, Value: v, Why: "set in the cluster file (storage.options)"}
	}
	// Validation keeps it out of storage.options: the tuning section is
	// the one place it is set. GlusterFS takes whole seconds.
	ping := int(t.StoragePing() / time.Second)
	byKey[PingTimeoutOption] = Option{Key: PingTimeoutOption, Value: strconv.Itoa(ping),
		Why: fmt.Sprintf("tuning.storage_ping_timeout: a frozen or cut-off node stalls clients for ~%d-%d s, not %d-%d s",
			ping, 2*ping, int(StockPingTimeout/time.Second), 2*int(StockPingTimeout/time.Second))}
	out := make([]Option, 0, len(byKey))
	for _, o := range byKey {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// StockOptions are the values of defaultOptions that GlusterFS would use
// unset, for benchmarks that compare skep's settings against stock.
var StockOptions = map[string]string{
	"cluster.quorum-type":        "auto", // replica 3 volumes default to auto since GlusterFS 3.x
	"cluster.server-quorum-type": "none",
	PingTimeoutOption:            strconv.Itoa(int(StockPingTimeout / time.Second)),
	"cluster.self-heal-daemon":   "on",
	"cluster.heal-timeout":       "600",
}
