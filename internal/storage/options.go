package storage

import (
	"sort"

	"skep/internal/config"
)

// Option is one volume option skep sets, with why.
type Option struct {
	Key, Value, Why string
}

// defaultOptions are set on purpose on every skep volume; the cluster file's
// storage.options override the values. Nothing here lets GlusterFS discard
// a copy of a file on its own (no favorite-child-policy): a split brain
// waits for a human rather than losing a write.
var defaultOptions = []Option{
	// Client quorum: a write succeeds only while a majority of the bricks
	// (2 of 3) take it, so two sides of a partition can never both accept
	// writes to one file (split brain). With 2 of 3 up, writes go on.
	{"cluster.quorum-type", "auto", "writes need 2 of 3 bricks, so a cut-off node cannot split the brain"},
	// Server quorum: glusterd stops its bricks when it loses contact with
	// most peers, so a partitioned node stops serving stale data.
	{"cluster.server-quorum-type", "server", "a node cut off from the majority stops its brick"},
	// Stock 42 s: every client stalls that long (up to twice that, since
	// requests reset the timer) when a node freezes or is cut off, because
	// a frozen node still answers TCP. 5 s measured 6.5 s stalls instead of
	// 58 s, and heals 0.5-4 s after the node returns; but across e2e runs
	// on a loaded 2-core machine its write stalls reached 9.4 s, against
	// the 10 s promise (a stall lasts 1x to 2x the timeout). 4 s keeps the
	// worst case near 8 s. Lower still risks spurious disconnects (and
	// heals) under load.
	{"network.ping-timeout", "4", "a frozen or cut-off node stalls clients for ~4-8 s, not 42-84 s"},
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
// overrides applied, in key order.
func Options(s *config.Storage) []Option {
	byKey := map[string]Option{}
	for _, o := range defaultOptions {
		byKey[o.Key] = o
	}
	for k, v := range s.Options {
		byKey[k] = Option{Key: k, Value: v, Why: "set in the cluster file (storage.options)"}
	}
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
	"cluster.server-quorum-type": "off",
	"network.ping-timeout":       "42",
	"cluster.self-heal-daemon":   "on",
	"cluster.heal-timeout":       "600",
}
