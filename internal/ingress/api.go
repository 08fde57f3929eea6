package ingress

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// apiConfig is the dynamic configuration (file provider) that serves
// Traefik's API on its own entry point, over TLS, behind basic auth whose
// users file is the swarm secret. It holds no secret itself.
const apiConfig = `# Traefik's API on the ` + EntryPointAPI + ` entry point, behind basic auth (skep).
http:
  routers:
    skep-api:
      entryPoints: [` + EntryPointAPI + `]
      rule: PathPrefix(` + "`/api`" + `)
      service: api@internal
      middlewares: [skep-api-auth]
      tls: {}
  middlewares:
    skep-api-auth:
      basicAuth:
        realm: skep
        usersFile: ` + usersFile + `
`

// APIConfig is the API's dynamic configuration file.
func APIConfig() []byte { return []byte(apiConfig) }

// APIConfigName names the swarm config holding APIConfig by its content:
// swarm configs cannot change, so a new content is a new config.
func APIConfigName() string {
	sum := sha256.Sum256([]byte(apiConfig))
	return "skep-traefik-api-" + hex.EncodeToString(sum[:])[:12]
}

// APIConfigPrefix starts the names of every version of the API config.
const APIConfigPrefix = "skep-traefik-api-"

// NewAPIUser generates the API's password and its users file line
// ("admin:<bcrypt hash>"). The password is shown once and stored nowhere;
// only the hash goes into the swarm secret.
func NewAPIUser() (password string, usersLine []byte, err error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	password = hex.EncodeToString(b)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", nil, err
	}
	return password, []byte(fmt.Sprintf("%s:%s\n", APIUser, hash)), nil
}
