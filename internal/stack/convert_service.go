package stack

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"

	"skep/internal/placement"
)

// service converts one compose service into the spec docker stack deploy
// would give it, with skep's adaptations (storage, routing, endpoint mode).
func (c *converter) service(s types.ServiceConfig) (swarm.ServiceSpec, error) {
	fail := func(err error) (swarm.ServiceSpec, error) {
		return swarm.ServiceSpec{}, fmt.Errorf("service %s: %w", s.Name, err)
	}
	if s.Image == "" {
		// skep deploys to a cluster, which pulls images; it builds nothing.
		return fail(fmt.Errorf("image is required (build is not supported by stacks)"))
	}
	if s.NetworkMode != "" {
		return fail(fmt.Errorf("network_mode %q is not supported by swarm services; use networks", s.NetworkMode))
	}
	if s.CredentialSpec != nil {
		return fail(fmt.Errorf("credential_spec (a Windows feature) is not supported"))
	}
	deploy := types.DeployConfig{}
	if s.Deploy != nil {
		deploy = *s.Deploy
	}

	mode, err := serviceMode(deploy.Mode, replicas(s, deploy))
	if err != nil {
		return fail(err)
	}
	mounts, err := c.mounts(s)
	if err != nil {
		return fail(err)
	}
	resources, err := convertResources(deploy.Resources)
	if err != nil {
		return fail(err)
	}
	restart, err := restartPolicy(s.Restart, deploy.RestartPolicy)
	if err != nil {
		return fail(err)
	}
	restart = withRestartDelay(restart, c.opts.RestartDelay)
	if deploy.RestartPolicy == nil && s.Restart == "no" {
		c.note("service %s: restart \"no\" becomes restart_policy condition none (docker stack deploy drops it, and swarm's default restarts a task whenever it stops)", s.Name)
	}
	health, err := healthcheck(s.HealthCheck)
	if err != nil {
		return fail(err)
	}
	nets, err := c.attachments(s)
	if err != nil {
		return fail(err)
	}
	endpoint, err := c.endpoint(s, deploy.EndpointMode)
	if err != nil {
		return fail(err)
	}
	cfgs, err := c.configRefs(s.Configs)
	if err != nil {
		return fail(err)
	}
	secrets, err := c.secretRefs(s.Secrets)
	if err != nil {
		return fail(err)
	}
	capAdd, capDrop := capabilities(s.CapAdd, s.CapDrop)

	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{
			Name:   c.scope(s.Name),
			Labels: c.stackLabels(deploy.Labels),
		},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image: s.Image,
				// compose's entrypoint replaces the image's ENTRYPOINT, which
				// swarm calls Command; compose's command is swarm's Args.
				Command:         s.Entrypoint,
				Args:            s.Command,
				Hostname:        s.Hostname,
				Hosts:           extraHosts(s.ExtraHosts),
				DNSConfig:       dnsConfig(s),
				Healthcheck:     health,
				Env:             environment(s.Environment),
				Labels:          c.stackLabels(s.Labels),
				Dir:             s.WorkingDir,
				User:            s.User,
				Groups:          s.GroupAdd,
				Mounts:          mounts,
				StopGracePeriod: durationPtr(s.StopGracePeriod),
				StopSignal:      s.StopSignal,
				TTY:             s.Tty,
				OpenStdin:       s.StdinOpen,
				ReadOnly:        s.ReadOnly,
				Init:            s.Init,
				Sysctls:         s.Sysctls,
				CapabilityAdd:   capAdd,
				CapabilityDrop:  capDrop,
				Ulimits:         ulimits(s.Ulimits),
				OomScoreAdj:     s.OomScoreAdj,
				Isolation:       container.Isolation(s.Isolation),
				Configs:         cfgs,
				Secrets:         secrets,
				// docker stack deploy always sends a Privileges object, empty
				// when the file sets none; swarm keeps it as sent, so without
				// it the two tools' specs of one file would differ.
				Privileges: &swarm.Privileges{},
			},
			LogDriver:     logDriver(s.Logging),
			Resources:     resources,
			RestartPolicy: restart,
			Placement: &swarm.Placement{
				Constraints: deploy.Placement.Constraints,
				Preferences: placementPreferences(deploy.Placement.Preferences),
				MaxReplicas: deploy.Placement.MaxReplicas,
			},
			Networks: nets,
		},
		Mode:           mode,
		EndpointSpec:   endpoint,
		UpdateConfig:   updateConfig(deploy.UpdateConfig),
		RollbackConfig: updateConfig(deploy.RollbackConfig),
	}
	// docker stack deploy records the image as written, before it resolves
	// a digest, so later deploys can tell a changed tag from a moved one.
	spec.Labels[LabelImage] = s.Image
	if err := c.keepOffLeader(s.Name, &spec, deploy.Labels); err != nil {
		return fail(err)
	}
	return spec, nil
}

// keepOffLeader gives a single-replica service the constraint that keeps
// it off the swarm leader, whose death stops scheduling for the ~10-12 s
// of an election: a task on a follower does not notice. The deploy label
// placement.OptOutLabel=allow keeps the service as docker would place it.
func (c *converter) keepOffLeader(name string, spec *swarm.ServiceSpec, labels map[string]string) error {
	v, err := placement.KeepOffLeader(spec, labels)
	switch {
	case err != nil:
		return err
	case v == placement.Added:
		c.note("service %s: one replica, kept off the swarm leader (constraint %s) so a leader's death does not stop it; deploy label %s=%s lets it run there",
			name, placement.AvoidLeader, placement.OptOutLabel, placement.OptOutAllow)
	case v == placement.Pinned:
		c.note("service %s: one replica pinned to one node by its constraints, so not kept off the swarm leader (it could not run while that node leads)", name)
	}
	return nil
}

// environment renders KEY=VALUE pairs sorted, so an unchanged file yields
// an unchanged spec and swarm does not restart the service. A variable
// without a value stays a bare KEY, as docker passes it.
func environment(env types.MappingWithEquals) []string {
	var out []string
	for k, v := range env {
		if v == nil {
			out = append(out, k)
			continue
		}
		out = append(out, k+"="+*v)
	}
	sort.Strings(out)
	return out
}

// extraHosts renders host:IP mappings in swarm's /etc/hosts notation
// "IP host", sorted by host because compose-go holds them in a map.
func extraHosts(hosts types.HostsList) []string {
	var out []string
	for _, host := range keys(hosts) {
		for _, ip := range hosts[host] {
			out = append(out, ip+" "+host)
		}
	}
	return out
}

func dnsConfig(s types.ServiceConfig) *swarm.DNSConfig {
	if len(s.DNS) == 0 && len(s.DNSSearch) == 0 && len(s.DNSOpts) == 0 {
		return nil
	}
	return &swarm.DNSConfig{Nameservers: s.DNS, Search: s.DNSSearch, Options: s.DNSOpts}
}

func healthcheck(h *types.HealthCheckConfig) (*container.HealthConfig, error) {
	if h == nil {
		return nil, nil
	}
	if h.Disable {
		if len(h.Test) > 0 && !(len(h.Test) == 1 && h.Test[0] == "NONE") {
			return nil, fmt.Errorf("healthcheck: test and disable cannot both be set")
		}
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	out := &container.HealthConfig{Test: h.Test}
	if h.Interval != nil {
		out.Interval = time.Duration(*h.Interval)
	}
	if h.Timeout != nil {
		out.Timeout = time.Duration(*h.Timeout)
	}
	if h.StartPeriod != nil {
		out.StartPeriod = time.Duration(*h.StartPeriod)
	}
	if h.StartInterval != nil {
		out.StartInterval = time.Duration(*h.StartInterval)
	}
	if h.Retries != nil {
		out.Retries = int(*h.Retries)
	}
	return out, nil
}

// capabilities normalizes names the way docker does (upper case, CAP_
// prefix, ALL kept) and lets cap_add win over cap_drop, so the spec swarm
// gets is the one docker stack deploy would send.
func capabilities(add, drop []string) (capAdd, capDrop []string) {
	norm := func(caps []string) map[string]bool {
		out := map[string]bool{}
		for _, c := range caps {
			c = strings.ToUpper(strings.TrimSpace(c))
			if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
				c = "CAP_" + c
			}
			out[c] = true
		}
		if out["ALL"] {
			return map[string]bool{"ALL": true}
		}
		return out
	}
	adds, drops := norm(add), norm(drop)
	for c := range drops {
		if !adds[c] {
			capDrop = append(capDrop, c)
		}
	}
	sort.Strings(capDrop)
	return keys(adds), capDrop
}

func ulimits(in map[string]*types.UlimitsConfig) []*container.Ulimit {
	var out []*container.Ulimit
	for _, name := range keys(in) {
		u := in[name]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		out = append(out, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	return out
}

func logDriver(l *types.LoggingConfig) *swarm.Driver {
	if l == nil {
		return nil
	}
	return &swarm.Driver{Name: l.Driver, Options: l.Options}
}

func durationPtr(d *types.Duration) *time.Duration {
	if d == nil {
		return nil
	}
	t := time.Duration(*d)
	return &t
}
