package stack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// Check reads the swarm and says whether the stack can be deployed onto
// it, changing nothing. Deploy checks again itself; a caller that must
// prepare something first (the stack's directories on the shared storage)
// checks before that, so a refused stack leaves nothing behind.
func Check(ctx context.Context, mgr client.APIClient, st *Stack) error {
	sw, err := readSwarm(ctx, mgr)
	if err != nil {
		return fmt.Errorf("stack %s: %w", st.Name, err)
	}
	return preflight(st, sw)
}

// preflight finds every reason the stack cannot be deployed onto the swarm
// as it is, all at once and before anything changes: a deploy that stopped
// half way would leave services pointing at objects that are not there.
func preflight(st *Stack, sw *swarmState) error {
	var problems []string
	joins := networkUsers(st.Services)
	for _, name := range st.ExternalNetworks {
		if builtinNetwork(name) {
			continue // host and friends exist on every node
		}
		users := strings.Join(joins[name], ", ")
		n, ok := sw.networks[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("network %s, joined by %s, does not exist, and the stack does not create it (the file says external, or it is Traefik's network): "+
				"create it (docker network create --driver overlay --attachable %s), or for Traefik's network declare ingress in the cluster file and run skep apply", name, users, name))
		case n.Scope != "swarm":
			problems = append(problems, fmt.Sprintf("network %s, joined by %s, is local to one node (scope %s, driver %s) and swarm services cannot join it: "+
				"create an overlay network under another name and use that", name, users, n.Scope, n.Driver))
		}
	}
	for _, want := range st.Networks {
		if have, ok := sw.networks[want.Name]; ok {
			if d := networkDiffs(want, have, st.Name); len(d) > 0 {
				problems = append(problems, fmt.Sprintf("network %s exists with %s; a network cannot be changed in place: "+
					"remove it (docker network rm %s, once nothing uses it) or give the network another name in the file", want.Name, strings.Join(d, ", "), want.Name))
			}
		}
	}
	problems = append(problems, missingExternal("config", st, sw)...)
	problems = append(problems, missingExternal("secret", st, sw)...)
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("stack %s cannot be deployed (nothing was changed):\n  %s", st.Name, strings.Join(problems, "\n  "))
}

// networkUsers maps each network the services join to their names.
func networkUsers(specs []swarm.ServiceSpec) map[string][]string {
	out := map[string][]string{}
	for _, s := range specs {
		for _, n := range s.TaskTemplate.Networks {
			out[n.Target] = append(out[n.Target], s.Name)
		}
	}
	return out
}

// networkDiffs says how an existing network differs from the declared one.
// Only what the file declares is compared: the engine adds options of its
// own (an overlay's VXLAN IDs) that the file never states.
func networkDiffs(want NetworkSpec, have network.Summary, stack string) []string {
	var d []string
	o := want.Options
	if have.Scope != "swarm" {
		d = append(d, "scope "+have.Scope+" (a swarm network is needed)")
	}
	if have.Driver != o.Driver {
		d = append(d, fmt.Sprintf("driver %s (the file says %s)", have.Driver, o.Driver))
	}
	for _, k := range keys(o.Options) {
		if v, ok := have.Options[k]; !ok || v != o.Options[k] {
			d = append(d, fmt.Sprintf("option %s=%q (the file says %q)", k, v, o.Options[k]))
		}
	}
	if have.Internal != o.Internal {
		d = append(d, fmt.Sprintf("internal %t (the file says %t)", have.Internal, o.Internal))
	}
	if have.Attachable != o.Attachable {
		d = append(d, fmt.Sprintf("attachable %t (the file says %t)", have.Attachable, o.Attachable))
	}
	if o.EnableIPv6 != nil && have.EnableIPv6 != *o.EnableIPv6 {
		d = append(d, fmt.Sprintf("enable_ipv6 %t (the file says %t)", have.EnableIPv6, *o.EnableIPv6))
	}
	if o.IPAM != nil {
		for _, pool := range o.IPAM.Config {
			if !slices.ContainsFunc(have.IPAM.Config, func(c network.IPAMConfig) bool { return c.Subnet == pool.Subnet }) {
				d = append(d, "no subnet "+pool.Subnet+" (the file declares it)")
			}
		}
	}
	// Another stack's network goes when that stack is removed, under the
	// feet of this one.
	if ns := have.Labels[LabelNamespace]; ns != "" && ns != stack {
		d = append(d, "it belongs to stack "+ns)
	}
	return d
}

// missingExternal lists the configs or secrets (kind) the services use
// that the stack does not create and the swarm does not have.
func missingExternal(kind string, st *Stack, sw *swarmState) []string {
	declared := map[string]bool{}
	for _, n := range stackObjectNames(kind, st) {
		declared[n] = true
	}
	users := map[string][]string{}
	for _, s := range st.Services {
		for _, ref := range refNames(kind, s) {
			if !declared[ref] && !sw.has(kind, ref) {
				users[ref] = append(users[ref], s.Name)
			}
		}
	}
	var out []string
	for _, name := range keys(users) {
		out = append(out, fmt.Sprintf("%s %s, used by %s, is external but the swarm has none of that name: "+
			"create it (docker %s create %s FILE) or declare it in the file", kind, name, strings.Join(users[name], ", "), kind, name))
	}
	return out
}
