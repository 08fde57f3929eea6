package stack

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/swarm"
)

// project is the compose project name the tests load with; the stack is
// named "app", so a name that leaked from the project would show.
const project = "proj"

// convertCase converts yaml (files are written next to it first) and hands
// the result, or the error, to the case's check.
type convertCase struct {
	name  string
	yaml  string
	files map[string]string
	env   map[string]string
	opts  func(*ConvertOptions)
	// unchecked loads without compose-go's consistency check, to reach
	// Convert's own checks of references.
	unchecked bool
	wantErr   string // substring of the expected error; "" expects success
	check     func(t *testing.T, st *Stack)
}

func baseOptions() ConvertOptions {
	return ConvertOptions{Name: "app", StorageMount: "/var/data", IPVS: true, PublicNetwork: "skep-public"}
}

// load reads compose content with compose-go's loader, as skep's own
// loading does, in a directory holding files.
func load(t *testing.T, yaml string, files, env map[string]string, opts ...func(*loader.Options)) *types.Project {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml"), Content: []byte(yaml)}},
		Environment: env,
	}, append(opts, func(o *loader.Options) { o.SetProjectName(project, true) })...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

func runCases(t *testing.T, cases []convertCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var lopts []func(*loader.Options)
			if tc.unchecked {
				lopts = append(lopts, func(o *loader.Options) { o.SkipConsistencyCheck = true })
			}
			p := load(t, tc.yaml, tc.files, tc.env, lopts...)
			opts := baseOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			st, err := Convert(p, opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			tc.check(t, st)
		})
	}
}

// svc returns the stack's service named name (the stack prefix included).
func svc(t *testing.T, st *Stack, name string) swarm.ServiceSpec {
	t.Helper()
	for _, s := range st.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %s in %v", name, serviceNames(st))
	return swarm.ServiceSpec{}
}

func serviceNames(st *Stack) []string {
	var out []string
	for _, s := range st.Services {
		out = append(out, s.Name)
	}
	return out
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func hasNote(t *testing.T, st *Stack, want string) {
	t.Helper()
	for _, n := range st.Notes {
		if strings.Contains(n, want) {
			return
		}
	}
	t.Errorf("no note containing %q in %q", want, st.Notes)
}

func noNote(t *testing.T, st *Stack, unwanted string) {
	t.Helper()
	for _, n := range st.Notes {
		if strings.Contains(n, unwanted) {
			t.Errorf("unexpected note %q", n)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestConvertNamesAndLabels(t *testing.T) {
	runCases(t, []convertCase{{
		name: "services, the default network and labels",
		yaml: `
services:
  web:
    image: nginx:1.27
    labels: {tier: front}
    deploy:
      labels: {team: a}
  db:
    image: postgres:17
`,
		check: func(t *testing.T, st *Stack) {
			eq(t, "stack name", st.Name, "app")
			eq(t, "services", serviceNames(st), []string{"app_db", "app_web"})
			web := svc(t, st, "app_web")
			eq(t, "service labels", web.Labels, map[string]string{
				"team": "a", LabelNamespace: "app", LabelImage: "nginx:1.27"})
			eq(t, "container labels", web.TaskTemplate.ContainerSpec.Labels, map[string]string{
				"tier": "front", LabelNamespace: "app"})
			eq(t, "image", web.TaskTemplate.ContainerSpec.Image, "nginx:1.27")
			// docker stack deploy sends an empty Privileges object when the
			// file sets none, and swarm keeps it: so does skep.
			eq(t, "privileges", web.TaskTemplate.ContainerSpec.Privileges, &swarm.Privileges{})
			eq(t, "networks", web.TaskTemplate.Networks, []swarm.NetworkAttachmentConfig{
				{Target: "app_default", Aliases: []string{"web"}}})
			if len(st.Networks) != 1 {
				t.Fatalf("networks = %+v, want app_default only", st.Networks)
			}
			n := st.Networks[0]
			eq(t, "network name", n.Name, "app_default")
			eq(t, "driver", n.Options.Driver, "overlay")
			eq(t, "attachable", n.Options.Attachable, false)
			eq(t, "network labels", n.Options.Labels, map[string]string{LabelNamespace: "app"})
			eq(t, "external", st.ExternalNetworks, []string(nil))
		},
	}, {
		name: "declared, named and external networks",
		yaml: `
services:
  api:
    image: api
    networks:
      back:
        aliases: [backend]
      shared: {}
      fixed: {}
networks:
  back:
    driver_opts: {encrypted: "true"}
    attachable: true
    labels: {x: y}
    ipam:
      config: [{subnet: 10.9.0.0/24}]
  shared:
    external: true
    name: corp-net
  fixed:
    name: exact-name
  unused: {}
`,
		check: func(t *testing.T, st *Stack) {
			api := svc(t, st, "app_api")
			eq(t, "attachments", api.TaskTemplate.Networks, []swarm.NetworkAttachmentConfig{
				{Target: "app_back", Aliases: []string{"backend", "api"}},
				{Target: "corp-net", Aliases: []string{"api"}},
				{Target: "exact-name", Aliases: []string{"api"}},
			})
			var names []string
			for _, n := range st.Networks {
				names = append(names, n.Name)
			}
			// unused is not created, nor the external one, as docker does.
			eq(t, "created", names, []string{"app_back", "exact-name"})
			back := st.Networks[0].Options
			eq(t, "driver", back.Driver, "overlay")
			eq(t, "attachable", back.Attachable, true)
			eq(t, "options", back.Options, map[string]string{"encrypted": "true"})
			eq(t, "labels", back.Labels, map[string]string{"x": "y", LabelNamespace: "app"})
			if back.IPAM == nil || len(back.IPAM.Config) != 1 || back.IPAM.Config[0].Subnet != "10.9.0.0/24" {
				t.Errorf("ipam = %+v", back.IPAM)
			}
			eq(t, "external", st.ExternalNetworks, []string{"corp-net"})
		},
	}, {
		name:    "a bridge network cannot carry services",
		yaml:    "services: {web: {image: nginx, networks: [lan]}}\nnetworks: {lan: {driver: bridge}}",
		wantErr: "network lan: driver bridge",
	}, {
		name:    "fixed addresses",
		yaml:    "services: {web: {image: nginx, networks: {lan: {ipv4_address: 10.0.0.5}}}}\nnetworks: {lan: {ipam: {config: [{subnet: 10.0.0.0/24}]}}}",
		wantErr: "service web: networks.lan: fixed addresses",
	}, {
		name:    "network_mode",
		yaml:    "services: {web: {image: nginx, network_mode: host}}",
		wantErr: "service web: network_mode",
	}, {
		// Compose jobs (scheduled or manual runs) have no swarm equivalent
		// that docker stack deploy knows; replicated-job services do.
		name:    "jobs",
		yaml:    "services: {web: {image: nginx}}\njobs: {backup: {image: restic, triggers: {manual: true}}}",
		wantErr: "jobs (backup) are not supported",
	}, {
		name:    "no image",
		yaml:    "services: {web: {build: .}}",
		wantErr: "service web: image is required",
	}})
}

func TestConvertRejectsMissingNameAndProject(t *testing.T) {
	if _, err := Convert(nil, baseOptions()); err == nil {
		t.Error("nil project converted")
	}
	p := load(t, "services: {web: {image: nginx}}", nil, nil)
	if _, err := Convert(p, ConvertOptions{}); err == nil || !strings.Contains(err.Error(), "stack name") {
		t.Errorf("error = %v, want the empty stack name named", err)
	}
}

// TestConvertIsDeterministic converts one file twice: maps in compose-go
// must not leak their order into specs, or every deploy would roll.
func TestConvertIsDeterministic(t *testing.T) {
	yaml := `
services:
  web:
    image: nginx
    environment: {B: "2", A: "1", C: "3", D: "4"}
    extra_hosts: ["b.test=127.0.0.2", "a.test=127.0.0.3", "c.test=127.0.0.4"]
    ulimits: {nproc: 10, nofile: {soft: 1, hard: 2}, core: 0}
    networks: [n1, n2, n3]
networks: {n1: {}, n2: {}, n3: {}}
`
	first, err := Convert(load(t, yaml, nil, nil), baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		again, err := Convert(load(t, yaml, nil, nil), baseOptions())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("conversion %d differs:\n%+v\n%+v", i, first, again)
		}
	}
}
