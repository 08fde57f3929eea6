// Command skep builds and tends a highly-available Docker Swarm cloud.
package main

import (
	"os"

	"skep/internal/cli"
)

func main() { os.Exit(cli.Main()) }
