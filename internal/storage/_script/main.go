// Temporary: prints the facts script. Removed before report.
package main

import (
	"fmt"

	"skep/internal/config"
	"skep/internal/storage"
)

func main() {
	c, err := config.Load("/root/.local/state/skep/labs/stor/cluster.yaml")
	if err != nil {
		panic(err)
	}
	fmt.Print(storage.FactsScript(c, c.Hosts[0], true, true))
}
