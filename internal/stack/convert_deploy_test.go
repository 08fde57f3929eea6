package stack

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
)

func TestConvertDeploy(t *testing.T) {
	runCases(t, []convertCase{{
		name: "replicated with every deploy key",
		yaml: `
services:
  web:
    image: nginx
    deploy:
      mode: replicated
      replicas: 3
      endpoint_mode: vip
      placement:
        constraints: [node.role==worker]
        preferences: [{spread: node.labels.zone}]
        max_replicas_per_node: 2
      resources:
        limits: {cpus: "0.1", memory: 64M, pids: 100}
        reservations: {cpus: "1.5", memory: 32M}
      update_config:
        parallelism: 2
        delay: 10s
        failure_action: rollback
        monitor: 30s
        max_failure_ratio: 0.5
        order: start-first
      rollback_config:
        delay: 5s
        order: stop-first
      restart_policy:
        condition: on-failure
        delay: 3s
        max_attempts: 4
        window: 1m
`,
		check: func(t *testing.T, st *Stack) {
			web := svc(t, st, "app_web")
			eq(t, "mode", web.Mode, swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: ptr(uint64(3))}})
			eq(t, "endpoint mode", web.EndpointSpec.Mode, swarm.ResolutionModeVIP)
			eq(t, "placement", web.TaskTemplate.Placement, &swarm.Placement{
				Constraints: []string{"node.role==worker"},
				Preferences: []swarm.PlacementPreference{{Spread: &swarm.SpreadOver{SpreadDescriptor: "node.labels.zone"}}},
				MaxReplicas: 2,
			})
			eq(t, "resources", web.TaskTemplate.Resources, &swarm.ResourceRequirements{
				// 0.1 CPU exactly, not float32's 100000001.
				Limits:       &swarm.Limit{NanoCPUs: 100_000_000, MemoryBytes: 64 << 20, Pids: 100},
				Reservations: &swarm.Resources{NanoCPUs: 1_500_000_000, MemoryBytes: 32 << 20},
			})
			eq(t, "update", web.UpdateConfig, &swarm.UpdateConfig{
				Parallelism: 2, Delay: 10 * time.Second, FailureAction: "rollback",
				Monitor: 30 * time.Second, MaxFailureRatio: 0.5, Order: "start-first",
			})
			// parallelism defaults to 1, as in docker stack deploy.
			eq(t, "rollback", web.RollbackConfig, &swarm.UpdateConfig{Parallelism: 1, Delay: 5 * time.Second, Order: "stop-first"})
			eq(t, "restart", web.TaskTemplate.RestartPolicy, &swarm.RestartPolicy{
				Condition: swarm.RestartPolicyConditionOnFailure, Delay: ptr(3 * time.Second),
				MaxAttempts: ptr(uint64(4)), Window: ptr(time.Minute),
			})
		},
	}, {
		name: "global mode and legacy restart",
		yaml: "services: {agent: {image: a, restart: unless-stopped, deploy: {mode: global}}, once: {image: b, restart: \"no\"}, retry: {image: c, restart: \"on-failure:3\"}, failing: {image: d, restart: on-failure}}",
		check: func(t *testing.T, st *Stack) {
			agent := svc(t, st, "app_agent")
			eq(t, "mode", agent.Mode, swarm.ServiceMode{Global: &swarm.GlobalService{}})
			eq(t, "restart", agent.TaskTemplate.RestartPolicy, &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny})
			// "no" means no restart, not swarm's default of restarting forever.
			eq(t, "no restart", svc(t, st, "app_once").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone})
			eq(t, "on-failure", svc(t, st, "app_retry").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{
				Condition: swarm.RestartPolicyConditionOnFailure, MaxAttempts: ptr(uint64(3))})
			// on-failure without a count: 0 (no limit) is sent, as docker does.
			eq(t, "on-failure, no count", svc(t, st, "app_failing").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{
				Condition: swarm.RestartPolicyConditionOnFailure, MaxAttempts: ptr(uint64(0))})
			eq(t, "default replicas", svc(t, st, "app_once").Mode, swarm.ServiceMode{Replicated: &swarm.ReplicatedService{}})
			// The one place skep departs from docker here is said.
			hasNote(t, st, `service once: restart "no" becomes restart_policy condition none`)
			noNote(t, st, "service agent: restart")
			noNote(t, st, "service retry: restart")
		},
	}, {
		// deploy.restart_policy wins over restart, as in docker stack
		// deploy; "no" beside it says nothing of its own.
		name: "restart_policy beside restart",
		yaml: "services: {web: {image: nginx, restart: \"no\", deploy: {restart_policy: {condition: any, delay: 2s}}}}",
		check: func(t *testing.T, st *Stack) {
			eq(t, "restart", svc(t, st, "app_web").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{
				Condition: swarm.RestartPolicyConditionAny, Delay: ptr(2 * time.Second)})
			noNote(t, st, "restart")
		},
	}, {
		name: "legacy scale",
		yaml: "services: {web: {image: nginx, scale: 2}}",
		check: func(t *testing.T, st *Stack) {
			eq(t, "mode", svc(t, st, "app_web").Mode, swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: ptr(uint64(2))}})
		},
	}, {
		name: "replicated job",
		yaml: "services: {migrate: {image: m, deploy: {mode: replicated-job, replicas: 1}}}",
		check: func(t *testing.T, st *Stack) {
			eq(t, "mode", svc(t, st, "app_migrate").Mode, swarm.ServiceMode{
				ReplicatedJob: &swarm.ReplicatedJob{MaxConcurrent: ptr(uint64(1)), TotalCompletions: ptr(uint64(1))}})
		},
	}, {
		name:    "replicas with global",
		yaml:    "services: {agent: {image: a, deploy: {mode: global, replicas: 2}}}",
		wantErr: "service agent: deploy.replicas",
	}, {
		name:    "unknown endpoint mode",
		yaml:    "services: {web: {image: a, deploy: {endpoint_mode: magic}}}",
		wantErr: "service web: deploy.endpoint_mode",
	}, {
		name:    "device reservations",
		yaml:    "services: {gpu: {image: a, deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}}}",
		wantErr: "service gpu: deploy.resources.reservations.devices",
	}})
}

func TestConvertContainer(t *testing.T) {
	runCases(t, []convertCase{{
		name: "container settings",
		yaml: `
services:
  web:
    image: nginx
    entrypoint: [/bin/sh, -c]
    command: [echo, hi]
    working_dir: /srv
    user: "1000:1000"
    hostname: web1
    stop_grace_period: 20s
    stop_signal: SIGQUIT
    init: true
    read_only: true
    tty: true
    stdin_open: true
    environment: {B: "2", A: "1", EMPTY: ""}
    sysctls: {net.core.somaxconn: "1024"}
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 64}
    extra_hosts: ["db.test=127.0.0.2"]
    dns: [127.0.0.53]
    dns_search: [example.test]
    cap_add: [net_admin]
    cap_drop: [ALL]
    logging: {driver: json-file, options: {max-size: 10m}}
    healthcheck:
      test: [CMD, curl, -f, http://127.0.0.1/]
      interval: 10s
      timeout: 2s
      retries: 3
      start_period: 30s
  quiet:
    image: busybox
    healthcheck: {disable: true}
`,
		check: func(t *testing.T, st *Stack) {
			c := svc(t, st, "app_web").TaskTemplate.ContainerSpec
			eq(t, "command", c.Command, []string{"/bin/sh", "-c"})
			eq(t, "args", c.Args, []string{"echo", "hi"})
			eq(t, "dir", c.Dir, "/srv")
			eq(t, "user", c.User, "1000:1000")
			eq(t, "hostname", c.Hostname, "web1")
			eq(t, "stop grace", c.StopGracePeriod, ptr(20*time.Second))
			eq(t, "stop signal", c.StopSignal, "SIGQUIT")
			eq(t, "init", c.Init, ptr(true))
			eq(t, "flags", []bool{c.ReadOnly, c.TTY, c.OpenStdin}, []bool{true, true, true})
			eq(t, "env", c.Env, []string{"A=1", "B=2", "EMPTY="})
			eq(t, "sysctls", c.Sysctls, map[string]string{"net.core.somaxconn": "1024"})
			eq(t, "ulimits", c.Ulimits, []*container.Ulimit{
				{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "nproc", Soft: 64, Hard: 64}})
			eq(t, "hosts", c.Hosts, []string{"127.0.0.2 db.test"})
			eq(t, "dns", c.DNSConfig, &swarm.DNSConfig{Nameservers: []string{"127.0.0.53"}, Search: []string{"example.test"}})
			eq(t, "cap add", c.CapabilityAdd, []string{"CAP_NET_ADMIN"})
			eq(t, "cap drop", c.CapabilityDrop, []string{"ALL"})
			eq(t, "log driver", svc(t, st, "app_web").TaskTemplate.LogDriver, &swarm.Driver{Name: "json-file", Options: map[string]string{"max-size": "10m"}})
			eq(t, "healthcheck", c.Healthcheck, &container.HealthConfig{
				Test:     []string{"CMD", "curl", "-f", "http://127.0.0.1/"},
				Interval: 10 * time.Second, Timeout: 2 * time.Second, Retries: 3, StartPeriod: 30 * time.Second,
			})
			eq(t, "disabled healthcheck", svc(t, st, "app_quiet").TaskTemplate.ContainerSpec.Healthcheck,
				&container.HealthConfig{Test: []string{"NONE"}})
		},
	}, {
		name: "ports",
		yaml: `
services:
  web:
    image: nginx
    ports:
      - "8080:80"
      - target: 53
        published: "5353"
        protocol: udp
        mode: host
      - "9000"
`,
		check: func(t *testing.T, st *Stack) {
			// By published port, as docker stack deploy sends them.
			eq(t, "ports", svc(t, st, "app_web").EndpointSpec.Ports, []swarm.PortConfig{
				{Protocol: "tcp", TargetPort: 9000, PublishMode: "ingress"},
				{Protocol: "udp", TargetPort: 53, PublishedPort: 5353, PublishMode: "host"},
				{Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress"},
			})
		},
	}, {
		// docker orders ports by the number they are published on, not as
		// text ("10080:81" before "9090:80") nor by target; ports it
		// publishes on no fixed number come first, in the file's order.
		name: "port order",
		yaml: `
services:
  web:
    image: nginx
    ports: ["10080:81", "9090:80", "83", "9090:80/udp", "82"]
`,
		check: func(t *testing.T, st *Stack) {
			eq(t, "ports", svc(t, st, "app_web").EndpointSpec.Ports, []swarm.PortConfig{
				{Protocol: "tcp", TargetPort: 83, PublishMode: "ingress"},
				{Protocol: "tcp", TargetPort: 82, PublishMode: "ingress"},
				{Protocol: "tcp", TargetPort: 80, PublishedPort: 9090, PublishMode: "ingress"},
				{Protocol: "udp", TargetPort: 80, PublishedPort: 9090, PublishMode: "ingress"},
				{Protocol: "tcp", TargetPort: 81, PublishedPort: 10080, PublishMode: "ingress"},
			})
		},
	}, {
		name:    "port range",
		yaml:    "services: {web: {image: nginx, ports: [\"8000-8010:80\"]}}",
		wantErr: "service web: ports: published",
	}, {
		name:    "host ip",
		yaml:    "services: {web: {image: nginx, ports: [\"127.0.0.1:80:80\"]}}",
		wantErr: "service web: ports: host_ip 127.0.0.1",
	}})
}
