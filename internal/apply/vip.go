package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"skep/internal/config"
	skimage "skep/internal/image"
	"skep/internal/poll"
	"skep/internal/vip"
)

// keepalivedRecipe is the image of skep-keepalived: Debian's keepalived with
// this skep binary on top, run as `skep vip-agent`, keepalived's parent and
// its checker. Like the controller, the agent is always the version of skep
// that applied it (a new skep binary replaces the containers, holder last).
var keepalivedRecipe skimage.Recipe = skimage.Self{Name: "vip", Args: []string{"vip-agent"}, From: "keepalived"}

// vipFacts is what one host reports for the VIP phase.
type vipFacts struct {
	net       vip.HostFacts // nil Addrs when the host runs no keepalived
	container vip.Running
}

// planVIP converges the virtual IP: keepalived's config and container on
// every manager, nothing on the other hosts. Config changes are reloads
// (the VIP stays put); container changes replace the holder last, so the
// VIP moves at most once.
func planVIP(ctx context.Context, e *env) ([]Step, error) {
	tag, err := e.images.tagFor(keepalivedRecipe)
	if err != nil {
		return nil, err
	}
	facts, err := gatherVIPFacts(ctx, e)
	if err != nil {
		return nil, err
	}
	return vipSteps(e, tag, facts)
}

// gatherVIPFacts asks every host in parallel: keepalived hosts about their
// network and config (one round trip), all hosts about the container.
func gatherVIPFacts(ctx context.Context, e *env) (map[string]*vipFacts, error) {
	runs := map[string]bool{}
	if e.cluster.VIP != nil {
		for _, h := range e.cluster.VIPHosts() {
			runs[h.Name] = true
		}
	}
	return onHosts(hostNames(e.cluster.Hosts), func(name string) (*vipFacts, error) {
		h, _ := e.cluster.HostByName(name)
		return hostVIPFacts(ctx, e, h, runs[name])
	})
}

func hostVIPFacts(ctx context.Context, e *env, h config.Host, runs bool) (*vipFacts, error) {
	f := &vipFacts{}
	// A plan of a fresh cluster gets here before any engine runs: the
	// container is then simply not there yet.
	if hf := e.facts.Hosts[h.Name]; hf != nil && hf.DockerRunning {
		cli, err := e.hosts[h.Name].Docker(ctx)
		if err != nil {
			return nil, err
		}
		if f.container, err = vip.Inspect(ctx, cli); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", vip.ContainerName, err)
		}
	}
	if !runs {
		return f, nil
	}
	out, err := e.hosts[h.Name].Sudo(ctx, vip.FactsScript(routeProbe(e.cluster, h)))
	if err != nil {
		return nil, fmt.Errorf("gather VIP facts: %w", err)
	}
	f.net = vip.ParseFacts(out)
	return f, nil
}

// routeProbe is the address whose route picks the VIP's interface: another
// keepalived host, or the VIP itself on a one-manager cluster.
func routeProbe(c *config.Cluster, self config.Host) string {
	for _, h := range c.VIPHosts() {
		if h.Name != self.Name {
			return h.Address
		}
	}
	return c.VIP.Address
}

// vipSteps is the plan, from facts alone (tested without hosts).
func vipSteps(e *env, tag string, facts map[string]*vipFacts) ([]Step, error) {
	c := e.cluster
	var steps []Step
	keep := map[string]bool{}
	if c.VIP != nil {
		for _, h := range c.VIPHosts() {
			keep[h.Name] = true
		}
	}
	for _, h := range c.Hosts {
		if f := facts[h.Name]; f != nil && f.container.Exists && !keep[h.Name] {
			why := "no vip section in the cluster file"
			if c.VIP != nil {
				why = "keepalived runs on managers only; this host is a " + h.Role
			}
			steps = append(steps, Step{Host: h.Name, Action: "remove container " + vip.ContainerName, Reason: why,
				run: func(ctx context.Context) error {
					cli, err := e.hosts[h.Name].Docker(ctx)
					if err != nil {
						return err
					}
					return vip.Remove(ctx, cli)
				}})
		}
	}
	if c.VIP == nil {
		return steps, nil
	}
	params, err := vipParams(c, facts)
	if err != nil {
		return nil, err
	}
	check := vip.TrackCheck(c)
	peers := make([]string, 0, len(params))
	for _, p := range params {
		peers = append(peers, p.SourceIP)
	}

	// Hosts not holding the VIP first: replacing the holder moves the VIP,
	// and it should move to a backup already running the new settings.
	hosts := c.VIPHosts()
	sort.SliceStable(hosts, func(i, j int) bool {
		return !facts[hosts[i].Name].net.Holds(c.VIP.Address) && facts[hosts[j].Name].net.Holds(c.VIP.Address)
	})
	anyRunning := false
	for _, h := range hosts {
		anyRunning = anyRunning || facts[h.Name].container.Running
	}
	for _, h := range hosts {
		f, p := facts[h.Name], params[h.Name]
		rt, warning := f.net.RealTime()
		if warning != "" {
			e.warn(h.Name, warning)
		}
		spec := vip.ContainerSpec(tag, check, rt)
		conf, err := vip.Render(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		confChanged := !f.net.HasConfig || !bytes.Equal(f.net.Config, conf)
		var why string
		switch {
		case !f.container.Exists:
			why = "not running yet"
		case !f.container.Running:
			why = "container " + vip.ContainerName + " is stopped"
		case f.container.Image != tag:
			why = "image is " + f.container.Image + ", want " + tag
		case f.container.SpecHash != spec.Config.Labels[vip.SpecLabel]:
			why = "container settings changed"
		}
		switch {
		case why != "":
			action := fmt.Sprintf("start keepalived (container %s, priority %d, on %s as %s)", vip.ContainerName, p.Priority, p.Interface, p.SourceIP)
			if f.container.Exists {
				action = "replace container " + vip.ContainerName
			}
			listen := !anyRunning
			if listen {
				why += fmt.Sprintf("; first listening %s for other VRRP routers on router id %d", vip.ListenFor, p.RouterID)
			}
			steps = append(steps, Step{Host: h.Name, Action: action, Reason: why,
				run: func(ctx context.Context) error { return startKeepalived(ctx, e, h.Name, p, conf, spec, listen, peers) }})
			anyRunning = true
		case confChanged:
			steps = append(steps, Step{Host: h.Name, Action: "write " + vip.ConfigPath + " and reload keepalived",
				Reason: configDiff(f.net.Config, conf, f.net.HasConfig),
				run: func(ctx context.Context) error {
					if err := e.hosts[h.Name].Upload(ctx, vip.ConfigPath, conf, 0o644); err != nil {
						return err
					}
					cli, err := e.hosts[h.Name].Docker(ctx)
					if err != nil {
						return err
					}
					return vip.Reload(ctx, cli)
				}})
		}
	}
	return steps, nil
}

// vipParams places the VIP on every keepalived host: interface, source
// address and priority, and each host's peers. Every host's problem is
// reported at once, naming the cluster file's field to fix.
func vipParams(c *config.Cluster, facts map[string]*vipFacts) (map[string]vip.Params, error) {
	hosts := c.VIPHosts()
	if len(hosts) > vip.MaxHosts {
		return nil, fmt.Errorf("vip: %d managers run keepalived, at most %d are supported", len(hosts), vip.MaxHosts)
	}
	placed := map[string]vip.Placement{}
	errs := map[string]error{}
	seen := map[string]string{}
	for _, h := range hosts {
		pl, err := facts[h.Name].net.Place(c.VIP.Interface, c.VIP.Address)
		if err != nil {
			errs[h.Name] = err
			continue
		}
		if other, dup := seen[pl.SourceIP]; dup {
			errs[h.Name] = fmt.Errorf("has the same address %s as %s on %s; give each manager its own address", pl.SourceIP, other, pl.Interface)
			continue
		}
		seen[pl.SourceIP] = h.Name
		placed[h.Name] = pl
	}
	if err := joinHostErrors(errs); err != nil {
		return nil, fmt.Errorf("vip: %w", err)
	}
	out := map[string]vip.Params{}
	for i, h := range hosts {
		var peers []string
		for _, o := range hosts {
			if o.Name != h.Name {
				peers = append(peers, placed[o.Name].SourceIP)
			}
		}
		out[h.Name] = vip.Params{Cluster: c.Name, Host: h.Name, Interface: placed[h.Name].Interface,
			SourceIP: placed[h.Name].SourceIP, Peers: peers, Address: c.VIP.Address, RouterID: c.VIP.RouterID,
			Priority: vip.Priority(i), Advert: c.VIP.Advert(), Version: 3}
	}
	return out, nil
}

// startKeepalived ships the image, writes the config and (re)creates the
// container. Before the cluster's first keepalived starts, it listens for
// VRRP routers that are not ours on the router id and refuses to start if
// it hears one: two routers on one id fight over the address.
func startKeepalived(ctx context.Context, e *env, name string, p vip.Params, conf []byte, spec vip.Spec, listen bool, ours []string) error {
	// The images phase loaded the image on every keepalived host.
	tag, err := keepalivedRecipe.Tag()
	if err != nil {
		return err
	}
	spec.Config.Image = tag
	cli, err := e.hosts[name].Docker(ctx)
	if err != nil {
		return err
	}
	if listen {
		strangers, err := vip.Listen(ctx, cli, tag, p.Interface, p.RouterID, ours)
		if err != nil {
			return err
		}
		if len(strangers) > 0 {
			var list []string
			for _, s := range strangers {
				list = append(list, s.String())
			}
			return fmt.Errorf("another VRRP router uses router id %d on %s: %s; set vip.router_id to an id no router on this network uses (1..255) and apply again",
				p.RouterID, p.Interface, strings.Join(list, ", "))
		}
	}
	if err := e.hosts[name].Upload(ctx, vip.ConfigPath, conf, 0o644); err != nil {
		return err
	}
	if err := vip.Replace(ctx, cli, spec); err != nil {
		return err
	}
	// Wait until keepalived has run past its start (a config it refuses
	// makes it exit at once), so the next host is replaced only while
	// this one stands by.
	// The first look is 1.5 s after the start, the last about 10 s after.
	if err := poll.Sleep(ctx, 1500*time.Millisecond); err != nil {
		return err
	}
	err = poll.Until(ctx, "keepalived staying up", 1500*time.Millisecond, 8500*time.Millisecond, func(ctx context.Context) error {
		r, err := vip.Inspect(ctx, cli)
		switch {
		case err != nil:
			return err
		case !r.Running:
			return errors.New("its container is not running")
		}
		return nil
	})
	var te *poll.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%w; see: docker logs %s", err, vip.ContainerName)
	}
	return err
}

// configDiff says what changed in the config, by its settings (comments
// and layout aside), for the step's reason.
func configDiff(old, new []byte, had bool) string {
	if !had {
		return vip.ConfigPath + " is missing"
	}
	was := map[string]bool{}
	for _, l := range settings(old) {
		was[l] = true
	}
	var changed []string
	for _, l := range settings(new) {
		if !was[l] {
			changed = append(changed, l)
		}
	}
	if len(changed) == 0 {
		return "keepalived.conf differs from the rendered one"
	}
	if len(changed) > 3 {
		changed = append(changed[:3], "...")
	}
	return "settings changed: " + strings.Join(changed, "; ")
}

func settings(conf []byte) []string {
	var out []string
	for _, l := range strings.Split(string(conf), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || l == "{" || l == "}" {
			continue
		}
		out = append(out, l)
	}
	return out
}
