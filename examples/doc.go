// Package examples holds apps to deploy on a skep cluster with
// `skep stack deploy`, each in its own directory with a compose file, its
// Dockerfiles and a README: counter (a stateful web app on a volume) and
// notes (a web front and a Redis cache). This package itself only tests
// that their compose files load and convert as skep deploys them.
package examples
