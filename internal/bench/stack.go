package bench

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"skep/internal/apply"
	"skep/internal/config"
	"skep/internal/host"
	skimage "skep/internal/image"
	"skep/internal/lab"
	"skep/internal/poll"
	"skep/internal/stack"
	"skep/internal/stackdeploy"
	skswarm "skep/internal/swarm"
)

// StackOptions configures the stack benchmark.
type StackOptions struct {
	Lab     string
	Example string // directory holding the app's Go program, Dockerfile and compose.yaml
	Logf    func(string, ...any)
}

// HostVar is the variable the example's compose file takes the name it
// answers on from (the counter example's COUNTER_HOST).
const HostVar = "COUNTER_HOST"

// Stack names: skep's and docker's deploy of the same file.
const (
	skepStack   = "bskep"
	dockerStack = "bdocker"
	// dockerFile is where the file is copied on the manager for docker.
	dockerFile  = "/tmp/skep-bench-stack/compose.yaml"
	firstWithin = 5 * time.Minute
)

// Stack measures, on a lab of its own, the example app deployed by skep
// and by docker stack deploy of the same file: the time from the start of
// the deploy to its first HTTPS 200 through the VIP (the certificate
// checked against the lab's CA), and the longest gap between answers when
// the node running its task is killed, with whether the count went on.
//
// Traefik router names are shared by every stack, so the two stacks never
// run at once: skep deploys and is timed, and removed; docker deploys and
// is timed, then its node is killed, and it is removed; skep deploys again
// (its count is on the shared storage) and its node is killed. Both deploy
// timings are thus taken on a lab no fault has touched.
func Stack(ctx context.Context, local *client.Client, o StackOptions) ([]Row, error) {
	file := filepath.Join(o.Example, "compose.yaml")
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	image, service, err := appOf(ctx, file)
	if err != nil {
		return nil, err
	}
	l, c, roots, release, err := ownHTTPSLab(ctx, local, o.Lab, o.Logf)
	defer release()
	if err != nil {
		return nil, err
	}
	b := &stackBench{local: local, lab: l, c: c, roots: roots, logf: o.Logf, file: file, service: service}
	if err := b.pushApp(ctx, o.Example, image); err != nil {
		return nil, err
	}

	skepFirst, err := b.skepDeploy(ctx)
	if err != nil {
		return nil, fmt.Errorf("skep stack deploy: %w", err)
	}
	if err := b.remove(ctx, skepStack); err != nil {
		return nil, err
	}
	dockerFirst, changes, err := b.dockerDeploy(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("docker stack deploy: %w", err)
	}
	dockerOut, err := b.killTask(ctx, dockerStack)
	if err != nil {
		return nil, fmt.Errorf("docker's stack, its node killed: %w", err)
	}
	if err := b.remove(ctx, dockerStack); err != nil {
		return nil, err
	}
	if _, err := b.skepDeploy(ctx); err != nil {
		return nil, fmt.Errorf("skep stack deploy, again: %w", err)
	}
	skepOut, err := b.killTask(ctx, skepStack)
	if err != nil {
		return nil, fmt.Errorf("skep's stack, its node killed: %w", err)
	}
	vs := "ratio n/a (docker's did not answer again)"
	if dockerOut.recovered && skepOut.recovered {
		vs = "ratio " + Ratio(skepOut.gap, dockerOut.gap)
	}
	return []Row{
		{"deploy -> first HTTPS 200 via the VIP, skep stack deploy", Secs(skepFirst),
			fmt.Sprintf("docker stack deploy --resolve-image never of the same file: %s, ratio %s (%s)",
				Secs(dockerFirst), Ratio(skepFirst, dockerFirst), changesNote(changes))},
		{"outage, node running the app killed (longest gap between 200s, polled every 100ms), skep", skepOut.String(),
			fmt.Sprintf("docker's stack, same kill: %s, %s (under docker the named volume is a local volume on the node the task runs on)",
				dockerOut, vs)},
	}, nil
}

type stackBench struct {
	local   *client.Client
	lab     *lab.Lab
	c       *config.Cluster
	roots   *x509.CertPool
	logf    func(string, ...any)
	file    string
	service string // the compose name of the app's service
}

// appOf reads the example's compose file for its one service and image;
// the name it answers on does not matter for that.
func appOf(ctx context.Context, file string) (image, service string, err error) {
	loaded, err := stack.Load(ctx, stack.LoadOptions{Files: []string{file}, Name: skepStack,
		Environ: append(os.Environ(), HostVar+"=example.invalid")})
	if err != nil {
		return "", "", err
	}
	if len(loaded.Project.Services) != 1 {
		return "", "", fmt.Errorf("%s: the benchmark wants one service (the app), found %d", file, len(loaded.Project.Services))
	}
	for name, s := range loaded.Project.Services {
		if s.Image == "" {
			return "", "", fmt.Errorf("%s: service %s names no image", file, name)
		}
		return s.Image, name, nil
	}
	return "", "", nil
}

// ownHTTPSLab is ownLab with the whole cluster file, for benchmarks that
// ask an app over HTTPS through the VIP: it also returns the lab CA's
// roots, and refuses a lab without a VIP or CA.
func ownHTTPSLab(ctx context.Context, local *client.Client, name string, logf func(string, ...any)) (*lab.Lab, *config.Cluster, *x509.CertPool, func(), error) {
	l, c, release, err := ownLab(ctx, local, name, logf, nil)
	if err != nil {
		return nil, nil, nil, release, err
	}
	if l.VIP == "" || l.CAFile == "" {
		return nil, nil, nil, release, fmt.Errorf("lab %s has no VIP or no CA file: the benchmark answers over HTTPS through the VIP", name)
	}
	roots, err := labRoots(l.CAFile)
	return l, c, roots, release, err
}

func labRoots(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	return roots, nil
}

// pushApp builds the app here and loads it into every node, as skep image
// push does.
func (b *stackBench) pushApp(ctx context.Context, dir, image string) error {
	if err := skimage.BuildApp(ctx, b.local, dir, image, b.logf); err != nil {
		return err
	}
	images, err := skimage.ResolveLocal(ctx, b.local, image)
	if err != nil {
		return err
	}
	nodes, closeAll, err := host.Engines(ctx, b.c, 10*time.Second)
	defer closeAll()
	if err != nil {
		return err
	}
	_, err = skimage.Push(ctx, b.local, images, nodes, func(node, f string, a ...any) { b.logf(node+": "+f, a...) })
	return err
}

func hostName(stackName string) string { return stackName + ".bench.lab" }

// client asks the app of stackName through the VIP, checking its
// certificate against the lab's CA.
func (b *stackBench) client(stackName string) (*http.Client, string) {
	h := hostName(stackName)
	return newClient(net.JoinHostPort(b.lab.VIP, "443"), h, 1, b.roots), "https://" + h + "/"
}

// skepDeploy deploys the file as skep stack deploy does and times its
// first HTTPS 200 from the start of the deploy.
func (b *stackBench) skepDeploy(ctx context.Context) (time.Duration, error) {
	b.logf("skep stack deploy %s", skepStack)
	c, url := b.client(skepStack)
	return timeFirst(ctx, c, url, func(ctx context.Context) error {
		_, err := stackdeploy.Run(ctx, stackdeploy.Options{
			Cluster: func() (*config.Cluster, error) { return b.c, nil },
			Name:    skepStack, Files: []string{b.file}, Timeout: firstWithin,
			Environ: append(os.Environ(), HostVar+"="+hostName(skepStack)),
			Print:   func(line string) { b.logf("%s", line) },
			Logf:    b.logf,
			Hostf:   func(h, f string, a ...any) { b.logf(h+": "+f, a...) },
		})
		return err
	})
}

// dockerDeploy copies the file, changed as docker needs (forDocker), to a
// manager and times docker stack deploy there to the first HTTPS 200. The
// name it answers on reaches docker through the command's environment.
func (b *stackBench) dockerDeploy(ctx context.Context, raw []byte) (time.Duration, []string, error) {
	mgr := b.c.Hosts[0].Name
	out, err := execNode(ctx, b.local, b.lab, mgr, "if "+apply.IPVSTest+"; then echo yes; else echo no; fi", nil)
	if err != nil {
		return 0, nil, err
	}
	file, changes, err := forDocker(raw, strings.TrimSpace(out) == "yes")
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", b.file, err)
	}
	dir := filepath.Dir(dockerFile)
	if _, err := execNode(ctx, b.local, b.lab, mgr, "mkdir -p "+dir+" && cat > "+dockerFile, file); err != nil {
		return 0, nil, err
	}
	b.logf("%s: docker stack deploy %s (%s)", mgr, dockerStack, changesNote(changes))
	c, url := b.client(dockerStack)
	// --resolve-image never: the nodes hold the image (pushed above) and
	// no registry is asked for its digest; traffic stays on the lab.
	cmd := "docker stack deploy --resolve-image never -c " + dockerFile + " " + dockerStack
	env := []string{HostVar + "=" + hostName(dockerStack)}
	d, err := timeFirst(ctx, c, url, func(ctx context.Context) error {
		_, err := execNodeEnv(ctx, b.local, b.lab, mgr, cmd, nil, env)
		return err
	})
	return d, changes, err
}

// timeFirst starts deploy and polls url until its first 200, timed from
// the start; the deploy's own error counts too.
func timeFirst(ctx context.Context, c *http.Client, url string, deploy func(context.Context) error) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- deploy(ctx) }()
	d, err := firstOK(ctx, c, url, start, firstWithin)
	if err != nil {
		cancel()
		return 0, errors.Join(err, <-done)
	}
	return d, <-done
}

// remove removes a stack through a manager and waits until its service is
// gone, so its Traefik router does not meet the next stack's.
func (b *stackBench) remove(ctx context.Context, stackName string) error {
	h, mgr, err := b.manager(ctx, "")
	if err != nil {
		return err
	}
	defer h.Close()
	if _, err := stack.Remove(ctx, mgr, stackName, nil); err != nil {
		return err
	}
	return poll.Until(ctx, "stack "+stackName+" removed", time.Second, 2*time.Minute, func(ctx context.Context) error {
		_, err := stack.Tasks(ctx, mgr, stackName)
		if err == nil {
			return fmt.Errorf("stack %s still has services", stackName)
		}
		return nil
	})
}

// killTask kills the node running the stack's task while polling the app,
// then starts the node again and waits until swarm has it back.
func (b *stackBench) killTask(ctx context.Context, stackName string) (outage, error) {
	victim, err := b.taskNode(ctx, stackName)
	if err != nil {
		return outage{}, err
	}
	c, url := b.client(stackName)
	// Each request makes its own connection: a connection kept to a
	// Traefik that died with its node would hang, not fail.
	c.Transport.(*http.Transport).DisableKeepAlives = true
	c.Timeout = requestWait
	b.logf("%s runs on %s: killing it while asking %s every %s", stackName, victim, url, outagePoll)
	killed := false
	ss, err := sampleAround(ctx, c, url, func() error {
		killed = true
		return b.lab.Inflict(ctx, b.local, victim, lab.Kill)
	})
	if killed {
		if rerr := b.restore(ctx, victim); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	o := analyze(ss)
	b.logf("%s: %s", stackName, o)
	return o, err
}

// taskNode is the node running the stack's one running task.
func (b *stackBench) taskNode(ctx context.Context, stackName string) (string, error) {
	h, mgr, err := b.manager(ctx, "")
	if err != nil {
		return "", err
	}
	defer h.Close()
	rows, err := stack.Tasks(ctx, mgr, stackName)
	if err != nil {
		return "", err
	}
	var nodes []string
	for _, r := range rows {
		if r.DesiredState == string(swarm.TaskStateRunning) && strings.HasPrefix(r.CurrentState, "running") {
			nodes = append(nodes, r.Node)
		}
	}
	if len(nodes) != 1 {
		return "", fmt.Errorf("stack %s runs %d tasks (%v), want 1", stackName, len(nodes), nodes)
	}
	return nodes[0], nil
}

// restore starts the killed node and waits until every swarm node is
// ready again, asking a manager other than it.
func (b *stackBench) restore(ctx context.Context, node string) error {
	if err := b.lab.Inflict(ctx, b.local, node, lab.Start); err != nil {
		return err
	}
	h, mgr, err := b.manager(ctx, node)
	if err != nil {
		return err
	}
	defer h.Close()
	return poll.Until(ctx, node+" back in the swarm", 2*time.Second, 3*time.Minute, func(ctx context.Context) error {
		nodes, err := skswarm.Nodes(ctx, mgr)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if n.Status.State != swarm.NodeStateReady {
				return fmt.Errorf("%s is %s", n.Description.Hostname, n.Status.State)
			}
		}
		return nil
	})
}

// manager dials the first manager of the cluster file other than avoid.
// The caller closes the host.
func (b *stackBench) manager(ctx context.Context, avoid string) (*host.Host, client.APIClient, error) {
	var errs []error
	for _, t := range host.Targets(b.c, false, 10*time.Second) {
		if d, _ := b.c.HostByName(t.Name); t.Name == avoid || d.Role == config.RoleWorker {
			continue
		}
		h, err := host.Dial(ctx, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		mgr, err := h.Docker(ctx)
		if err != nil {
			h.Close()
			errs = append(errs, err)
			continue
		}
		return h, mgr, nil
	}
	return nil, nil, fmt.Errorf("no manager answered: %w", errors.Join(errs...))
}
