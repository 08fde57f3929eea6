package stack

import (
	"fmt"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
)

// ignoredKey is a service key `docker stack deploy` drops. The list is
// docker's own (docker/cli's compose types: UnsupportedProperties and
// DeprecatedProperties) plus depends_on, which its compose v3 reference
// says swarm ignores, less restart: docker lists it, yet turns it into the
// restart policy when deploy.restart_policy is absent, and so does skep
// (swarmWarnings says when it is dropped). cap_add, cap_drop, sysctls,
// ulimits and tmpfs are not here: swarm has carried them since API
// 1.40/1.41 and docker no longer lists them.
type ignoredKey struct {
	key  string
	set  func(s types.ServiceConfig) bool
	hint string
}

var ignoredKeys = []ignoredKey{
	{"build", func(s types.ServiceConfig) bool { return s.Build != nil },
		"build the image and push it with skep image push"},
	{"cgroup", func(s types.ServiceConfig) bool { return s.Cgroup != "" }, ""},
	{"cgroup_parent", func(s types.ServiceConfig) bool { return s.CgroupParent != "" }, ""},
	{"container_name", func(s types.ServiceConfig) bool { return s.ContainerName != "" },
		"swarm names the containers of a service itself"},
	{"devices", func(s types.ServiceConfig) bool { return len(s.Devices) > 0 }, ""},
	{"domainname", func(s types.ServiceConfig) bool { return s.DomainName != "" }, ""},
	{"expose", func(s types.ServiceConfig) bool { return len(s.Expose) > 0 },
		"services on one network reach each other on any port"},
	{"external_links", func(s types.ServiceConfig) bool { return len(s.ExternalLinks) > 0 }, ""},
	{"ipc", func(s types.ServiceConfig) bool { return s.Ipc != "" }, ""},
	{"links", func(s types.ServiceConfig) bool { return len(s.Links) > 0 },
		"services reach each other by service name"},
	{"mac_address", func(s types.ServiceConfig) bool { return s.MacAddress != "" }, ""},
	{"network_mode", func(s types.ServiceConfig) bool { return s.NetworkMode != "" }, ""},
	{"pid", func(s types.ServiceConfig) bool { return s.Pid != "" }, ""},
	{"privileged", func(s types.ServiceConfig) bool { return s.Privileged }, ""},
	{"security_opt", func(s types.ServiceConfig) bool { return len(s.SecurityOpt) > 0 }, ""},
	{"shm_size", func(s types.ServiceConfig) bool { return s.ShmSize != 0 }, ""},
	{"userns_mode", func(s types.ServiceConfig) bool { return s.UserNSMode != "" }, ""},
}

// swarmWarnings lists, once each and sorted, the keys of the project's
// services (those the profiles kept) that swarm will not apply.
func swarmWarnings(p *types.Project, files []yamlFile) []string {
	var out []string
	for name, s := range p.Services {
		for _, k := range ignoredKeys {
			if k.set(s) {
				out = append(out, warning(name, k.key, k.hint))
			}
		}
		// restart becomes the restart policy, as in docker stack deploy,
		// unless deploy.restart_policy is set: then that wins and restart
		// is dropped.
		if s.Restart != "" && s.Deploy != nil && s.Deploy.RestartPolicy != nil {
			out = append(out, fmt.Sprintf("service %s: restart is ignored: deploy.restart_policy is set and is used instead", name))
		}
		// compose-go adds depends_on itself for links, network_mode and
		// volumes_from, so only a depends_on written in a file counts.
		if len(s.DependsOn) > 0 && written(files, "services", name, "depends_on") {
			out = append(out, warning(name, "depends_on", "swarm starts services in no order"))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func warning(service, key, hint string) string {
	w := fmt.Sprintf("service %s: %s is ignored by swarm", service, key)
	if hint != "" {
		w += " (" + hint + ")"
	}
	return w
}

func written(files []yamlFile, path ...string) bool {
	for _, f := range files {
		if _, whole := f.lookup(path); whole {
			return true
		}
	}
	return false
}
