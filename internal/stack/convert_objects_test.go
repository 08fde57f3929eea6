package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

// hash12 is the content hash suffix of a config or secret name.
func hash12(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])[:12]
}

const objectsYAML = `
services:
  web:
    image: nginx
    configs:
      - source: site
        target: /etc/nginx/conf.d/site.conf
        uid: "101"
        gid: "101"
        mode: 0440
      - inline
      - shared
    secrets: [token]
configs:
  site: {file: ./site.conf, labels: {k: v}}
  inline: {content: "hello"}
  shared: {external: true, name: corp-config}
secrets:
  token: {environment: TOKEN}
`

func TestConvertObjects(t *testing.T) {
	files := map[string]string{"site.conf": "server {}\n"}
	runCases(t, []convertCase{{
		name:  "file, inline, environment and external",
		yaml:  objectsYAML,
		files: files,
		env:   map[string]string{"TOKEN": "s3cret"},
		check: func(t *testing.T, st *Stack) {
			site, inline := "app_site-"+hash12("server {}\n"), "app_inline-"+hash12("hello")
			token := "app_token-" + hash12("s3cret")
			eq(t, "configs", st.Configs, []swarm.ConfigSpec{
				{Annotations: swarm.Annotations{Name: inline, Labels: map[string]string{LabelNamespace: "app", LabelConfig: "inline"}}, Data: []byte("hello")},
				{Annotations: swarm.Annotations{Name: site, Labels: map[string]string{"k": "v", LabelNamespace: "app", LabelConfig: "site"}}, Data: []byte("server {}\n")},
			})
			eq(t, "secrets", st.Secrets, []swarm.SecretSpec{
				{Annotations: swarm.Annotations{Name: token, Labels: map[string]string{LabelNamespace: "app", LabelSecret: "token"}}, Data: []byte("s3cret")},
			})
			c := svc(t, st, "app_web").TaskTemplate.ContainerSpec
			eq(t, "config refs", c.Configs, []*swarm.ConfigReference{
				{ConfigName: inline, File: &swarm.ConfigReferenceFileTarget{Name: "inline", UID: "0", GID: "0", Mode: 0o444}},
				{ConfigName: site, File: &swarm.ConfigReferenceFileTarget{Name: "/etc/nginx/conf.d/site.conf", UID: "101", GID: "101", Mode: 0o440}},
				{ConfigName: "corp-config", File: &swarm.ConfigReferenceFileTarget{Name: "shared", UID: "0", GID: "0", Mode: 0o444}},
			})
			eq(t, "secret refs", c.Secrets, []*swarm.SecretReference{
				{SecretName: token, File: &swarm.SecretReferenceFileTarget{Name: "token", UID: "0", GID: "0", Mode: 0o444}},
			})
		},
	}, {
		// A changed file is a new object with a new name, which rolls the
		// services that reference it; swarm could not update it in place.
		name:  "changed content, new name",
		yaml:  objectsYAML,
		files: map[string]string{"site.conf": "server { listen 81; }\n"},
		env:   map[string]string{"TOKEN": "s3cret"},
		check: func(t *testing.T, st *Stack) {
			eq(t, "site name", st.Configs[1].Name, "app_site-"+hash12("server { listen 81; }\n"))
			ref := svc(t, st, "app_web").TaskTemplate.ContainerSpec.Configs[1]
			eq(t, "reference follows", ref.ConfigName, st.Configs[1].Name)
		},
	}, {
		// docker sends the default target as the bare name and any other
		// as written; compose-go spells the default /run/secrets/NAME.
		name: "secret targets as docker sends them",
		yaml: `
services:
  web:
    image: nginx
    secrets:
      - a
      - {source: b, target: /run/secrets/custom}
      - {source: c, target: plain}
      - {source: d, target: /etc/d.pem}
secrets:
  a: {environment: X}
  b: {environment: X}
  c: {environment: X}
  d: {environment: X}
`,
		env: map[string]string{"X": "x"},
		check: func(t *testing.T, st *Stack) {
			var got []string
			for _, r := range svc(t, st, "app_web").TaskTemplate.ContainerSpec.Secrets {
				got = append(got, r.File.Name)
			}
			eq(t, "targets", got, []string{"a", "/run/secrets/custom", "plain", "/etc/d.pem"})
		},
	}, {
		// References go in docker's order, by the name docker gives the
		// object: app_a before app_a-b. By the swarm names with their
		// hashes ("app_a-f44e64e75f39", "app_a-b-...") a-b would come first.
		name: "references in docker's order",
		yaml: `
services:
  web:
    image: nginx
    configs: [a-b, a]
    secrets: [a-b, a]
configs:
  a: {content: beta}
  a-b: {content: beta}
secrets:
  a: {environment: X}
  a-b: {environment: X}
`,
		env: map[string]string{"X": "beta"},
		check: func(t *testing.T, st *Stack) {
			c := svc(t, st, "app_web").TaskTemplate.ContainerSpec
			h := hash12("beta")
			eq(t, "config order", []string{c.Configs[0].ConfigName, c.Configs[1].ConfigName}, []string{"app_a-" + h, "app_a-b-" + h})
			eq(t, "secret order", []string{c.Secrets[0].SecretName, c.Secrets[1].SecretName}, []string{"app_a-" + h, "app_a-b-" + h})
		},
	}, {
		name:    "missing file",
		yaml:    objectsYAML,
		env:     map[string]string{"TOKEN": "s3cret"},
		wantErr: "config site:",
	}, {
		name:    "unset variable",
		yaml:    objectsYAML,
		files:   files,
		wantErr: "secret token: environment variable TOKEN is not set",
	}, {
		name:    "name too long",
		yaml:    "services: {web: {image: nginx}}\nconfigs: {c: {content: x, name: " + strings.Repeat("n", 60) + "}}",
		wantErr: "longer than 64",
	}})
}

// TestConvertSecretErrorsHideContent: a secret's value must not reach an
// error message, which ends up on a terminal or in a log.
func TestConvertSecretErrorsHideContent(t *testing.T) {
	p := load(t, "services: {web: {image: nginx}}\nsecrets: {s: {environment: V, name: "+strings.Repeat("n", 60)+"}}",
		nil, map[string]string{"V": "topsecretvalue"})
	_, err := Convert(p, baseOptions())
	if err == nil {
		t.Fatal("a 73-character secret name converted")
	}
	if strings.Contains(err.Error(), "topsecretvalue") {
		t.Errorf("error shows the secret: %v", err)
	}
}
