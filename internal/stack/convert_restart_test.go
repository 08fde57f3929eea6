package stack

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// The cluster's restart delay goes to every service that restarts and
// whose file sets no delay; a delay in the file wins, and a service that
// never restarts gets none. Without one (nil), the specs are docker's.
func TestConvertRestartDelay(t *testing.T) {
	const yaml = `
services:
  plain: {image: a}
  always: {image: b, restart: always}
  retry: {image: c, restart: "on-failure:3"}
  once: {image: d, restart: "no"}
  never: {image: e, deploy: {restart_policy: {condition: none}}}
  own: {image: f, deploy: {restart_policy: {condition: on-failure, delay: 3s}}}
  zero: {image: g, deploy: {restart_policy: {condition: any, delay: 0s}}}
  window: {image: h, deploy: {restart_policy: {window: 1m}}}
  job: {image: i, deploy: {mode: replicated-job}}
`
	delay := func(d time.Duration) func(*ConvertOptions) {
		return func(o *ConvertOptions) { o.RestartDelay = &d }
	}
	restarts, onFailure, none := swarm.RestartPolicyConditionAny, swarm.RestartPolicyConditionOnFailure, swarm.RestartPolicyConditionNone
	runCases(t, []convertCase{{
		name: "cluster delay 0s",
		yaml: yaml,
		opts: delay(0),
		check: func(t *testing.T, st *Stack) {
			for name, want := range map[string]*swarm.RestartPolicy{
				// No policy at all is swarm's default, condition any.
				"app_plain":  {Condition: restarts, Delay: ptr(time.Duration(0))},
				"app_always": {Condition: restarts, Delay: ptr(time.Duration(0))},
				"app_retry":  {Condition: onFailure, Delay: ptr(time.Duration(0)), MaxAttempts: ptr(uint64(3))},
				"app_once":   {Condition: none},
				"app_never":  {Condition: none},
				"app_own":    {Condition: onFailure, Delay: ptr(3 * time.Second)},
				"app_zero":   {Condition: restarts, Delay: ptr(time.Duration(0))},
				// An empty condition is swarm's any: it restarts.
				"app_window": {Delay: ptr(time.Duration(0)), Window: ptr(time.Minute)},
				"app_job":    {Condition: restarts, Delay: ptr(time.Duration(0))},
			} {
				eq(t, name, svc(t, st, name).TaskTemplate.RestartPolicy, want)
			}
		},
	}, {
		name: "cluster delay 2s",
		yaml: yaml,
		opts: delay(2 * time.Second),
		check: func(t *testing.T, st *Stack) {
			eq(t, "plain", svc(t, st, "app_plain").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{Condition: restarts, Delay: ptr(2 * time.Second)})
			eq(t, "own", svc(t, st, "app_own").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{Condition: onFailure, Delay: ptr(3 * time.Second)})
			eq(t, "explicit 0s", svc(t, st, "app_zero").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{Condition: restarts, Delay: ptr(time.Duration(0))})
			eq(t, "once", svc(t, st, "app_once").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{Condition: none})
		},
	}, {
		name: "no cluster delay: as docker stack deploy",
		yaml: yaml,
		check: func(t *testing.T, st *Stack) {
			var unset *swarm.RestartPolicy
			eq(t, "plain", svc(t, st, "app_plain").TaskTemplate.RestartPolicy, unset)
			eq(t, "always", svc(t, st, "app_always").TaskTemplate.RestartPolicy, &swarm.RestartPolicy{Condition: restarts})
		},
	}})
}
