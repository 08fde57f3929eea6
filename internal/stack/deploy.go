package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/docker/docker/client"

	skswarm "skep/internal/swarm"
)

// DeployResult is what a deploy did to the stack's services, by their
// swarm names, each list sorted.
type DeployResult struct {
	Stack     string   `json:"stack"`
	Created   []string `json:"created"`
	Updated   []string `json:"updated"`
	Unchanged []string `json:"unchanged"`
	// Removed are services of the stack the file no longer declares.
	Removed []string `json:"removed"`
	// Kept are networks the file no longer declares that could not be
	// removed yet, each with the reason; a later deploy removes them.
	Kept []string `json:"kept,omitempty"`
}

// Deploy converges the swarm onto st through mgr, a manager's engine, as
// docker stack deploy does, but idempotently: a service whose declared
// spec did not change is not touched (no task restarts), and what the file
// no longer declares goes. In order:
//
//  1. check, before any change, that the external networks, configs and
//     secrets exist and that existing networks are the declared ones;
//  2. create the missing networks, configs and secrets;
//  3. create or update each service whose spec hash differs;
//  4. remove the stack's services that left the file;
//  5. remove the stack's configs and secrets nothing uses any more (the
//     old content versions) and its undeclared networks once unused.
//
// report gets one line per change, for people; the result is for the CLI
// to print or encode. Images, waiting for tasks and storage directories
// are left to the caller.
func Deploy(ctx context.Context, mgr client.APIClient, st *Stack, report func(string)) (*DeployResult, error) {
	if st == nil || st.Name == "" {
		return nil, errors.New("deploy: no stack, or a stack without a name")
	}
	if report == nil {
		report = func(string) {}
	}
	sw, err := readSwarm(ctx, mgr)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", st.Name, err)
	}
	if err := preflight(st, sw); err != nil {
		return nil, err
	}
	if err := createNetworks(ctx, mgr, st, sw, report); err != nil {
		return nil, err
	}
	ids, err := createObjects(ctx, mgr, st, sw, report)
	if err != nil {
		return nil, err
	}
	// Empty lists, not nil: JSON shows [] rather than null.
	res := &DeployResult{Stack: st.Name, Created: []string{}, Updated: []string{}, Unchanged: []string{}, Removed: []string{}}
	if err := convergeServices(ctx, mgr, st, ids, res, report); err != nil {
		return res, err
	}
	if err := removeDropped(ctx, mgr, st, sw, res, report); err != nil {
		return res, err
	}
	return res, prune(ctx, mgr, st, sw, res, report)
}

// convergeServices creates or updates the services. The hash is taken of
// the spec as the file declares it, with config and secret names only:
// IDs are the swarm's business, and a name already pins the content.
func convergeServices(ctx context.Context, mgr client.APIClient, st *Stack, ids objectIDs, res *DeployResult, report func(string)) error {
	for _, spec := range st.Services {
		spec, err := withIDs(skswarm.WithHash(spec), ids)
		if err != nil {
			return err
		}
		change, err := skswarm.ConvergeService(ctx, mgr, spec)
		if err != nil {
			return fmt.Errorf("stack %s: %w", st.Name, err)
		}
		switch change {
		case skswarm.Created:
			res.Created = append(res.Created, spec.Name)
			report("created service " + spec.Name)
		case skswarm.Updated:
			res.Updated = append(res.Updated, spec.Name)
			report("updated service " + spec.Name)
		default:
			res.Unchanged = append(res.Unchanged, spec.Name)
		}
	}
	return nil
}

// removeDropped removes the stack's services the file no longer declares.
func removeDropped(ctx context.Context, mgr client.APIClient, st *Stack, sw *swarmState, res *DeployResult, report func(string)) error {
	declared := map[string]bool{}
	for _, s := range st.Services {
		declared[s.Name] = true
	}
	for _, s := range sw.services {
		if !ofStack(s.Spec.Labels, st.Name) || declared[s.Spec.Name] {
			continue
		}
		if err := mgr.ServiceRemove(ctx, s.ID); err != nil && !client.IsErrNotFound(err) {
			return fmt.Errorf("remove service %s (no longer in the file of stack %s): %w", s.Spec.Name, st.Name, err)
		}
		res.Removed = append(res.Removed, s.Spec.Name)
		report("removed service " + s.Spec.Name + " (no longer in the file)")
	}
	slices.Sort(res.Removed)
	return nil
}
