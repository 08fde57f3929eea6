package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	skimage "skep/internal/image"
	"skep/internal/ingress"
	"skep/internal/poll"
	skswarm "skep/internal/swarm"
)

// ingressReadyTimeout bounds the wait for a created or updated ingress
// service to run a task on every manager.
const ingressReadyTimeout = 2 * time.Minute

// ingressState is what the swarm holds of ingress now, read from a manager.
type ingressState struct {
	networks map[string]bool   // by name
	services map[string]string // name -> spec hash label
	secret   bool              // the API users secret exists
	token    bool              // the controller's token secret exists
	statics  []string          // static configuration secrets present (every version)
	configs  []string          // Traefik's dynamic config names present (defaults, API; every version)
}

// ingressWant is the declared ingress, resolved to images and hosts.
type ingressWant struct {
	anchor       string   // host that cluster-wide steps are logged under
	managers     []string // hosts that run Traefik and the proxy
	proxy        skimage.Recipe
	proxyImage   string
	traefik      skimage.Recipe // nil when the nodes pull Traefik
	traefikImage string
	api          bool
	apiPort      int
	refresh      time.Duration // tuning.ingress_refresh
}

func (w ingressWant) traefikOptions() ingress.TraefikOptions {
	return ingress.TraefikOptions{Image: w.traefikImage, API: w.api, APIPort: w.apiPort, APIConfig: ingress.APIConfigName(),
		Refresh: w.refresh}
}

// planIngress converges Traefik, the socket proxy and their networks.
// Nothing is planned without an ingress section.
func planIngress(ctx context.Context, e *env) ([]Step, error) {
	in := e.cluster.Ingress
	if in == nil {
		return nil, nil
	}
	w := ingressWant{anchor: e.cluster.FirstManager().Name, api: in.API, apiPort: in.APIPort, proxy: ingress.ProxyRecipe(),
		refresh: e.cluster.Tuning.IngressRefreshPeriod()}
	for _, m := range e.cluster.Managers() {
		w.managers = append(w.managers, m.Name)
	}
	var err error
	if w.proxyImage, err = e.images.tagFor(w.proxy); err != nil {
		return nil, err
	}
	w.traefikImage = in.Image
	if in.Image == "" {
		w.traefik = ingress.TraefikRecipe()
		if w.traefikImage, err = e.images.tagFor(w.traefik); err != nil {
			return nil, err
		}
	}
	st, err := readIngressState(ctx, e, w)
	if err != nil {
		return nil, err
	}
	return ingressSteps(e, st, w), nil
}

// readIngressState reads the swarm's ingress objects and which managers
// lack the images. Before a swarm exists (a plan of a fresh cluster) it is
// empty: everything is to be made.
func readIngressState(ctx context.Context, e *env, w ingressWant) (ingressState, error) {
	st := ingressState{networks: map[string]bool{}, services: map[string]string{}}
	mgr, err := swarmReader(ctx, e)
	if err != nil {
		return st, err
	}
	if mgr == nil {
		return st, nil
	}
	nets, err := mgr.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return st, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range nets {
		if n.Scope == "swarm" {
			st.networks[n.Name] = true
		}
	}
	for _, name := range []string{ingress.ProxyService, ingress.TraefikService} {
		svc, _, err := mgr.ServiceInspectWithRaw(ctx, name, swarm.ServiceInspectOptions{})
		switch {
		case err == nil:
			st.services[name] = svc.Spec.Labels[skswarm.SpecHashLabel]
		case !client.IsErrNotFound(err):
			return st, fmt.Errorf("inspect service %s: %w", name, err)
		}
	}
	secrets, err := secretNames(ctx, mgr, "skep-")
	if err != nil {
		return st, err
	}
	for _, s := range secrets {
		switch {
		case s == ingress.UsersSecret:
			st.secret = true
		case s == ingress.TokenSecret:
			st.token = true
		case strings.HasPrefix(s, ingress.StaticSecretPrefix):
			st.statics = append(st.statics, s)
		}
	}
	if st.configs, err = traefikConfigs(ctx, mgr); err != nil {
		return st, err
	}
	return st, nil
}

// traefikConfigs lists every version of Traefik's dynamic configuration
// files present: the defaults and the API's router.
func traefikConfigs(ctx context.Context, mgr client.APIClient) ([]string, error) {
	var all []string
	for _, prefix := range []string{ingress.DefaultsConfigPrefix, ingress.APIConfigPrefix} {
		names, err := configNames(ctx, mgr, prefix)
		if err != nil {
			return nil, err
		}
		all = append(all, names...)
	}
	return all, nil
}

// ingressSteps compares state and want; it reads nothing, so plans are
// tested from recorded states.
func ingressSteps(e *env, st ingressState, w ingressWant) []Step {
	var steps []Step
	cluster := func(action, reason string, run func(ctx context.Context, mgr client.APIClient) error) {
		steps = append(steps, clusterStep(e, w.anchor, action, reason, run))
	}
	for _, n := range ingress.Networks() {
		if st.networks[n.Name] {
			continue
		}
		n := n
		cluster("create overlay network "+n.Name, "ingress needs it and the swarm lacks it", func(ctx context.Context, mgr client.APIClient) error {
			_, err := mgr.NetworkCreate(ctx, n.Name, n.Create)
			return err
		})
	}
	proxy := skswarm.WithHash(ingress.ProxySpec(w.proxyImage))
	if step, ok := serviceStep(st, proxy, len(w.managers), nil); ok {
		cluster(step.action, step.reason, step.run)
	}
	// The token is made once and kept: Traefik and the controller read it
	// from the same secret, so it never has to leave the swarm again.
	if !st.token {
		cluster("create swarm secret "+ingress.TokenSecret+" (a new random token Traefik presents to the controller)",
			"the swarm has none: the controller serves certificates only to a caller with the token",
			func(ctx context.Context, mgr client.APIClient) error { return createToken(ctx, mgr) })
	}
	if w.api && !st.secret {
		cluster("create swarm secret "+ingress.UsersSecret+" with a new API password (handed over once, in a 0600 file)", "the Traefik API is on and has no password yet",
			func(ctx context.Context, mgr client.APIClient) error { return createAPIUser(ctx, e, mgr, w.anchor) })
	}
	defaults := ingress.DefaultsConfigName()
	if !contains(st.configs, defaults) {
		cluster("create swarm config "+defaults+" (Traefik's default middlewares: retry on another server)",
			"Traefik's entry points use it and the swarm lacks this version",
			func(ctx context.Context, mgr client.APIClient) error {
				_, err := mgr.ConfigCreate(ctx, swarm.ConfigSpec{
					Annotations: swarm.Annotations{Name: defaults, Labels: map[string]string{ingress.ComponentLabel: "ingress"}},
					Data:        ingress.DefaultsConfig()})
				return err
			})
	}
	apiConfig := ingress.APIConfigName()
	if w.api && !contains(st.configs, apiConfig) {
		cluster("create swarm config "+apiConfig+" (Traefik API router)", "the Traefik API is on",
			func(ctx context.Context, mgr client.APIClient) error {
				_, err := mgr.ConfigCreate(ctx, swarm.ConfigSpec{
					Annotations: swarm.Annotations{Name: apiConfig, Labels: map[string]string{ingress.ComponentLabel: "ingress"}},
					Data:        ingress.APIConfig()})
				return err
			})
	}
	static := ingress.StaticSecretName(w.traefikOptions())
	if !contains(st.statics, static) {
		data := ingress.StaticConfig(w.traefikOptions())
		cluster("create swarm secret "+static+" (Traefik's static configuration, a template the engine fills in with the token)",
			"Traefik's declared static configuration is new or changed",
			func(ctx context.Context, mgr client.APIClient) error {
				_, err := mgr.SecretCreate(ctx, swarm.SecretSpec{
					Annotations: swarm.Annotations{Name: static, Labels: map[string]string{ingress.ComponentLabel: "ingress"}},
					Data:        data,
					Templating:  &swarm.Driver{Name: ingress.TemplateDriver},
				})
				return err
			})
	}
	traefik := skswarm.WithHash(ingress.TraefikSpec(w.traefikOptions()))
	if step, ok := serviceStep(st, traefik, len(w.managers), resolveRefs); ok {
		cluster(step.action, step.reason, step.run)
	}
	// What the API no longer needs goes after Traefik stops using it.
	if !w.api && st.secret {
		cluster("remove swarm secret "+ingress.UsersSecret, "the Traefik API is off", func(ctx context.Context, mgr client.APIClient) error {
			return mgr.SecretRemove(ctx, ingress.UsersSecret)
		})
	}
	for _, c := range st.configs {
		if c == defaults || (w.api && c == apiConfig) {
			continue
		}
		c := c
		cluster("remove swarm config "+c, "no longer used by Traefik", func(ctx context.Context, mgr client.APIClient) error {
			return mgr.ConfigRemove(ctx, c)
		})
	}
	for _, old := range st.statics {
		if old == static {
			continue
		}
		old := old
		cluster("remove swarm secret "+old, "an older static configuration, no longer used by Traefik", func(ctx context.Context, mgr client.APIClient) error {
			return mgr.SecretRemove(ctx, old)
		})
	}
	return steps
}

type pendingStep struct {
	action, reason string
	run            func(ctx context.Context, mgr client.APIClient) error
}

// serviceStep creates or updates a service whose declared spec (by its
// hash label) differs from the swarm's, then waits until it runs a task
// on each of the want managers. resolve fills in IDs the spec refers to.
func serviceStep(st ingressState, spec swarm.ServiceSpec, want int, resolve func(context.Context, client.APIClient, *swarm.ServiceSpec) error) (pendingStep, bool) {
	name := spec.Name
	cur, exists := st.services[name]
	hash := spec.Labels[skswarm.SpecHashLabel]
	if exists && cur == hash {
		return pendingStep{}, false
	}
	ps := pendingStep{action: "create service " + name, reason: "ingress needs it and the swarm lacks it"}
	if exists {
		ps.action = "update service " + name
		ps.reason = "its declared spec changed (hash " + orNone(cur) + " -> " + hash + ")"
	}
	ps.run = func(ctx context.Context, mgr client.APIClient) error {
		if resolve != nil {
			if err := resolve(ctx, mgr, &spec); err != nil {
				return err
			}
		}
		if _, err := skswarm.ConvergeService(ctx, mgr, spec); err != nil {
			return err
		}
		return waitServiceRunning(ctx, mgr, name, hash, want, ingressReadyTimeout)
	}
	return ps, true
}

// resolveRefs fills in the IDs of the secret and configs a spec names.
func resolveRefs(ctx context.Context, mgr client.APIClient, spec *swarm.ServiceSpec) error {
	c := spec.TaskTemplate.ContainerSpec
	for _, s := range c.Secrets {
		list, err := mgr.SecretList(ctx, swarm.SecretListOptions{Filters: filters.NewArgs(filters.Arg("name", s.SecretName))})
		if err != nil {
			return err
		}
		for _, x := range list {
			if x.Spec.Name == s.SecretName {
				s.SecretID = x.ID
			}
		}
		if s.SecretID == "" {
			return fmt.Errorf("swarm secret %s is missing; run skep apply again to create it", s.SecretName)
		}
	}
	for _, r := range c.Configs {
		list, err := mgr.ConfigList(ctx, swarm.ConfigListOptions{Filters: filters.NewArgs(filters.Arg("name", r.ConfigName))})
		if err != nil {
			return err
		}
		for _, x := range list {
			if x.Spec.Name == r.ConfigName {
				r.ConfigID = x.ID
			}
		}
		if r.ConfigID == "" {
			return fmt.Errorf("swarm config %s is missing; run skep apply again to create it", r.ConfigName)
		}
	}
	return nil
}

// createToken makes the controller's token. It goes into the secret and
// nowhere else: no log line, no file, no argument.
func createToken(ctx context.Context, mgr client.APIClient) error {
	token, err := ingress.NewToken()
	if err != nil {
		return err
	}
	_, err = mgr.SecretCreate(ctx, swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: ingress.TokenSecret, Labels: map[string]string{ingress.ComponentLabel: "ingress"}},
		Data:        token,
	})
	return err
}

// apiPasswordFile is the file, under Options.SecretDir, that receives the
// Traefik API password.
const apiPasswordFile = "traefik-api-password"

// createAPIUser generates the API password, stores only its bcrypt hash
// in the users secret, and hands the password over once in a 0600 file
// whose path (never the password) goes to the progress log, which may be
// kept anywhere. The file is written first: a secret whose password was
// lost would lock the operator out.
func createAPIUser(ctx context.Context, e *env, mgr client.APIClient, hostName string) error {
	password, line, err := ingress.NewAPIUser()
	if err != nil {
		return err
	}
	path, err := writeSecretFile(e.opts.SecretDir, apiPasswordFile, []byte(password+"\n"))
	if err != nil {
		return fmt.Errorf("keep the new Traefik API password: %w", err)
	}
	_, err = mgr.SecretCreate(ctx, swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: ingress.UsersSecret, Labels: map[string]string{ingress.ComponentLabel: "ingress"}},
		Data:        line,
	})
	if err != nil {
		return err
	}
	e.logf(hostName, "Traefik API user %s, password in %s (mode 0600; skep keeps only its hash: to get a new one, apply with api off, then on)", ingress.APIUser, path)
	return nil
}

// waitServiceRunning waits until the service's update (if any) is done and
// a task of the current spec runs on want distinct nodes.
func waitServiceRunning(ctx context.Context, mgr client.APIClient, name, hash string, want int, timeout time.Duration) error {
	err := poll.Until(ctx, fmt.Sprintf("service %s running on %d nodes", name, want), time.Second, timeout, func(ctx context.Context) error {
		ok, why, err := serviceRunning(ctx, mgr, name, hash, want)
		switch {
		case err != nil:
			return poll.Stop(err)
		case !ok:
			return errors.New(why)
		}
		return nil
	})
	var te *poll.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%w (see: docker service ps --no-trunc %s)", err, name)
	}
	return err
}

func serviceRunning(ctx context.Context, mgr client.APIClient, name, hash string, count int) (bool, string, error) {
	svc, _, err := mgr.ServiceInspectWithRaw(ctx, name, swarm.ServiceInspectOptions{})
	if err != nil {
		return false, "", err
	}
	if u := svc.UpdateStatus; u != nil && u.State == swarm.UpdateStatePaused {
		return false, "", fmt.Errorf("service %s: update paused: %s (see: docker service ps --no-trunc %s)", name, u.Message, name)
	}
	if u := svc.UpdateStatus; u != nil && u.State != swarm.UpdateStateCompleted {
		return false, "update " + string(u.State), nil
	}
	if svc.Spec.Labels[skswarm.SpecHashLabel] != hash {
		return false, "", errors.New("service " + name + " was changed by someone else meanwhile; run skep apply again")
	}
	tasks, err := mgr.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(
		filters.Arg("service", svc.ID), filters.Arg("desired-state", "running"))})
	if err != nil {
		return false, "", err
	}
	// Right after an update the old tasks still run and the update may not
	// have started: only tasks of the current container spec count.
	want, _ := json.Marshal(svc.Spec.TaskTemplate.ContainerSpec)
	nodes := map[string]bool{}
	var errs []string
	for _, t := range tasks {
		got, _ := json.Marshal(t.Spec.ContainerSpec)
		if t.Status.State == swarm.TaskStateRunning && string(got) == string(want) {
			nodes[t.NodeID] = true
		} else if t.Status.Err != "" {
			errs = append(errs, t.Status.Err)
		}
	}
	why := fmt.Sprintf("%d of %d tasks of the current spec running", len(nodes), count)
	if len(errs) > 0 {
		why += "; " + errs[0]
	}
	return len(nodes) >= count, why, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
