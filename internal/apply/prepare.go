package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"skep/internal/poll"
	skswarm "skep/internal/swarm"
)

const daemonJSONPath = "/etc/docker/daemon.json"

// engineSettings are the daemon.json keys skep owns; other keys an operator
// set are kept. journald logs let `docker service logs` read any task's
// output from any manager and survive container removal (the seed's
// daemon.json). The seed's "experimental" flag is mainstream now.
var engineSettings = map[string]any{
	"log-driver": "journald",
}

// planPrepare makes every host run a Docker engine with skep's settings.
func planPrepare(_ context.Context, e *env) ([]Step, error) {
	var steps []Step
	for _, name := range sortedHosts(e.facts.Hosts) {
		f, h := e.facts.Hosts[name], e.hosts[name]
		if !f.DockerInstalled {
			steps = append(steps, Step{Host: name, Action: "install Docker Engine from the OS packages (docker.io)",
				Reason: "no Docker engine on the host",
				run: func(ctx context.Context) error {
					_, err := h.Sudo(ctx, "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq docker.io >/dev/null && systemctl enable --now docker")
					if err != nil {
						return err
					}
					return waitEngine(ctx, e, name, false)
				}})
		} else if !f.DockerRunning {
			reason := "the engine is installed but does not answer"
			if f.EngineErr != nil {
				reason += ": " + f.EngineErr.Error()
			}
			steps = append(steps, Step{Host: name, Action: "start the Docker engine", Reason: reason,
				run: func(ctx context.Context) error {
					if _, err := h.Sudo(ctx, "systemctl enable --now docker"); err != nil {
						return err
					}
					return waitEngine(ctx, e, name, f.Swarm.InSwarm())
				}})
		}
		merged, diff, err := mergeDaemonJSON(f.DaemonJSON)
		if err != nil {
			return nil, fmt.Errorf("%s: %s is not valid JSON (%v); fix or remove it, then apply again", name, daemonJSONPath, err)
		}
		if len(diff) > 0 {
			inSwarm := f.Swarm.InSwarm()
			steps = append(steps, Step{Host: name, Action: "write " + daemonJSONPath + " and restart the engine",
				Reason: "engine settings differ: " + strings.Join(diff, ", "),
				run: func(ctx context.Context) error {
					if err := h.Upload(ctx, daemonJSONPath, merged, 0o644); err != nil {
						return err
					}
					if _, err := h.Sudo(ctx, "systemctl restart docker"); err != nil {
						return err
					}
					return waitEngine(ctx, e, name, inSwarm)
				}})
		}
	}
	return steps, nil
}

// mergeDaemonJSON returns the daemon.json with skep's settings set, and a
// description of each setting that differs from the current file.
func mergeDaemonJSON(current string) ([]byte, []string, error) {
	cfg := map[string]any{}
	if strings.TrimSpace(current) != "" {
		if err := json.Unmarshal([]byte(current), &cfg); err != nil {
			return nil, nil, err
		}
	}
	var diff []string
	keys := make([]string, 0, len(engineSettings))
	for k := range engineSettings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := engineSettings[k]
		if cur, ok := cfg[k]; !ok || fmt.Sprint(cur) != fmt.Sprint(want) {
			if !ok {
				cur = "unset"
			}
			diff = append(diff, fmt.Sprintf("%s is %v, want %v", k, cur, want))
			cfg[k] = want
		}
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	return append(out, '\n'), diff, err
}

// waitEngine waits for the engine to answer again after a (re)start and,
// when the host was in a swarm, to be back in it, so the next host's
// restart never costs the swarm two managers at once.
func waitEngine(ctx context.Context, e *env, name string, inSwarm bool) error {
	return poll.Until(ctx, "engine back", 500*time.Millisecond, 90*time.Second, func(ctx context.Context) error {
		cli, err := e.hosts[name].Docker(ctx)
		if err != nil {
			return err
		}
		pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		st, err := skswarm.Inspect(pingCtx, cli)
		if err == nil && inSwarm && !st.InSwarm() {
			err = fmt.Errorf("swarm state %s", st.Local)
		}
		return err
	})
}
