package stack

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func loadFiles(t *testing.T, opts LoadOptions) (*Loaded, error) {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "demo"
	}
	return Load(context.Background(), opts)
}

func TestLoadEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      LoadOptions
		image     string
		greetings string
	}{
		{"dotenv beside the file", LoadOptions{Files: []string{"testdata/dotenv/compose.yml"}},
			"nginx:from-dotenv", "dotenv"},
		{"env-file replaces dotenv", LoadOptions{Files: []string{"testdata/dotenv/compose.yml"},
			EnvFiles: []string{"testdata/dotenv/other.env"}}, "nginx:from-envfile", "hello"},
		{"process env wins over dotenv", LoadOptions{Files: []string{"testdata/dotenv/compose.yml"},
			Environ: []string{"TAG=from-process"}}, "nginx:from-process", "dotenv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := loadFiles(t, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			web := l.Project.Services["web"]
			if web.Image != tc.image {
				t.Errorf("image = %q, want %q", web.Image, tc.image)
			}
			if g := web.Environment["GREETING"]; g == nil || *g != tc.greetings {
				t.Errorf("GREETING = %v, want %q", g, tc.greetings)
			}
		})
	}
}

func TestLoadMergeAndProfiles(t *testing.T) {
	l, err := loadFiles(t, LoadOptions{Files: []string{"testdata/merge/base.yml", "testdata/merge/override-ok.yml"}})
	if err != nil {
		t.Fatal(err)
	}
	web := l.Project.Services["web"]
	if web.Image != "nginx:1.27" || *web.Environment["A"] != "base" || *web.Environment["B"] != "override" {
		t.Errorf("merge: image %q, A %q, B %q", web.Image, *web.Environment["A"], *web.Environment["B"])
	}
	if web.Deploy == nil || web.Deploy.Replicas == nil || *web.Deploy.Replicas != 1 {
		t.Errorf("merge lost deploy.replicas of the first file: %+v", web.Deploy)
	}

	for _, tc := range []struct {
		profiles []string
		want     []string
	}{
		{nil, []string{"web"}},
		{[]string{"debug"}, []string{"debug", "web"}},
	} {
		l, err := loadFiles(t, LoadOptions{Files: []string{"testdata/profiles/compose.yml"}, Profiles: tc.profiles})
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Project.ServiceNames(); !slices.Equal(sorted(got), tc.want) {
			t.Errorf("profiles %v: services %v, want %v", tc.profiles, got, tc.want)
		}
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// TestLoadProblems checks each problem is placed at FILE:LINE:COL with the
// compose path, as the CLI prints it.
func TestLoadProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"wrong type", []string{"testdata/schema/wrongtype.yml"},
			"testdata/schema/wrongtype.yml:6:7: services.web.deploy.restart_policy: must be a mapping"},
		{"unknown key", []string{"testdata/schema/unknownkey.yml"},
			"testdata/schema/unknownkey.yml:4:5: services.web.replica: unknown key"},
		{"unknown top-level key", []string{"testdata/schema/toplevel.yml"},
			"testdata/schema/toplevel.yml:3:1: servics: unknown key"},
		{"bad nested value", []string{"testdata/schema/nested.yml"},
			"testdata/schema/nested.yml:7:9: services.web.deploy.update_config.parallelism: cannot parse value as 'uint64': -1 overflows uint"},
		{"bad value in a list", []string{"testdata/schema/port.yml"},
			`testdata/schema/port.yml:6:9: services.web.ports.[].target: failed to cast to expected type: strconv.Atoi: parsing "x": invalid syntax`},
		{"later file's node wins", []string{"testdata/merge/base.yml", "testdata/merge/override.yml"},
			"testdata/merge/override.yml:7:7: services.web.deploy.restart_policy: must be a mapping"},
		{"key in both files: the later one is blamed", []string{"testdata/merge/parallelism-base.yml", "testdata/merge/parallelism-override.yml"},
			"testdata/merge/parallelism-override.yml:6:9: services.web.deploy.update_config.parallelism: cannot parse value as 'uint64': -1 overflows uint"},
		{"yaml syntax", []string{"testdata/syntax/broken.yml"},
			"testdata/syntax/broken.yml:4:4: did not find expected key"},
		{"yaml syntax, no column", []string{"testdata/syntax/unclosed.yml"},
			"testdata/syntax/unclosed.yml:4: did not find expected ',' or ']'"},
		{"required variable", []string{"testdata/required/compose.yml"},
			"testdata/required/compose.yml:5:26: services.db.environment.POSTGRES_PASSWORD: required variable DB_PASSWORD is missing a value: set DB_PASSWORD in .env"},
		{"required variable in the second file", []string{"testdata/merge/base.yml", "testdata/required/compose.yml"},
			"testdata/required/compose.yml:5:26: services.db.environment.POSTGRES_PASSWORD: required variable DB_PASSWORD is missing a value: set DB_PASSWORD in .env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadFiles(t, LoadOptions{Files: tc.files})
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T), want *LoadError", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestLoadRequiredVariableSet(t *testing.T) {
	l, err := loadFiles(t, LoadOptions{Files: []string{"testdata/required/compose.yml"}, Environ: []string{"DB_PASSWORD=s3"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Project.Services["db"].Environment["POSTGRES_PASSWORD"]; p == nil || *p != "s3" {
		t.Errorf("POSTGRES_PASSWORD = %v", p)
	}
}

func TestLoadMissingEnvFile(t *testing.T) {
	_, err := loadFiles(t, LoadOptions{Files: []string{"testdata/dotenv/compose.yml"}, EnvFiles: []string{"testdata/nope.env"}})
	var le *LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "testdata/nope.env") {
		t.Errorf("error %v, want a LoadError naming the env file", err)
	}
}

func TestWarnings(t *testing.T) {
	l, err := loadFiles(t, LoadOptions{Files: []string{"testdata/warnings/compose.yml"}})
	if err != nil {
		t.Fatal(err)
	}
	// web's restart is not named: like docker stack deploy, skep turns it
	// into the restart policy. cache's is dropped, its restart_policy used.
	want := []string{
		"service cache: restart is ignored: deploy.restart_policy is set and is used instead",
		"service web: build is ignored by swarm (build the image and push it with skep image push)",
		"service web: container_name is ignored by swarm (swarm names the containers of a service itself)",
		"service web: depends_on is ignored by swarm (swarm starts services in no order)",
		"service web: security_opt is ignored by swarm",
		"service worker: links is ignored by swarm (services reach each other by service name)",
		"service worker: network_mode is ignored by swarm",
	}
	if !slices.Equal(l.Warnings, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(l.Warnings, "\n"), strings.Join(want, "\n"))
	}
}
