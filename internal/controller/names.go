package controller

import (
	"regexp"
	"sort"
	"strings"
)

// NameSet is the set of DNS names one certificate covers, sorted and
// without duplicates, so the same names always make the same order.
type NameSet []string

// newNameSet normalises names: lower case, no trailing dot, sorted, unique.
func newNameSet(names ...string) NameSet {
	seen := map[string]bool{}
	var out NameSet
	for _, n := range names {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Key identifies the set in state files and rate-limit bookkeeping.
func (s NameSet) Key() string { return strings.Join(s, ",") }

// coveredBy tells whether every name of s is in names.
func (s NameSet) coveredBy(names []string) bool {
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, n := range s {
		if !have[n] {
			return false
		}
	}
	return true
}

// hostCall finds Host(...) matchers in a Traefik rule; the look-behind
// stand-in ([^A-Za-z]) keeps HostRegexp and HostSNI out.
var hostCall = regexp.MustCompile("(?:^|[^A-Za-z])Host\\(([^)]*)\\)")

// hostArg is one quoted argument of Host(): Traefik accepts backquotes and
// double quotes.
var hostArg = regexp.MustCompile("`([^`]*)`|\"([^\"]*)\"")

// RuleHosts returns the names a Traefik router rule matches with Host(),
// in order of appearance.
func RuleHosts(rule string) []string {
	var out []string
	for _, m := range hostCall.FindAllStringSubmatch(rule, -1) {
		for _, a := range hostArg.FindAllStringSubmatch(m[1], -1) {
			out = append(out, a[1]+a[2])
		}
	}
	return out
}

// labelsNameSets reads one service's labels: each router's rule gives one
// name set. A service Traefik does not expose (traefik.enable is not
// "true"; skep's Traefik does not expose services by default) gives none.
func labelsNameSets(labels map[string]string) []NameSet {
	if labels["traefik.enable"] != "true" {
		return nil
	}
	var keys []string
	for k := range labels {
		if strings.HasPrefix(k, "traefik.http.routers.") && strings.HasSuffix(k, ".rule") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []NameSet
	for _, k := range keys {
		if s := newNameSet(RuleHosts(labels[k])...); len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// validName is a DNS name HTTP-01 can prove: letters, digits, '-' and
// dots, at least two labels, no wildcard (wildcards need DNS-01).
var validName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidName tells whether name can be put in an HTTP-01 order.
func ValidName(name string) bool { return len(name) <= 253 && validName.MatchString(name) }

// desiredSets merges the configured names (each its own certificate) with
// the routers' sets, drops sets already covered by a larger wanted set and
// duplicates, and splits off names no CA would accept.
func desiredSets(configured []string, routers []NameSet) (sets []NameSet, invalid []string) {
	var all []NameSet
	for _, n := range configured {
		all = append(all, newNameSet(n))
	}
	all = append(all, routers...)
	bad := map[string]bool{}
	var clean []NameSet
	for _, s := range all {
		var ok []string
		for _, n := range s {
			if ValidName(n) {
				ok = append(ok, n)
			} else {
				bad[n] = true
			}
		}
		if len(ok) > 0 {
			clean = append(clean, newNameSet(ok...))
		}
	}
	seen := map[string]bool{}
	for i, s := range clean {
		if seen[s.Key()] {
			continue
		}
		covered := false
		for j, o := range clean {
			if i != j && len(o) > len(s) && s.coveredBy(o) {
				covered = true
				break
			}
		}
		if !covered {
			seen[s.Key()] = true
			sets = append(sets, s)
		}
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].Key() < sets[j].Key() })
	for n := range bad {
		invalid = append(invalid, n)
	}
	sort.Strings(invalid)
	return sets, invalid
}
