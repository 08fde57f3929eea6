// Command skepd is skep's in-cluster controller (see internal/controller).
// skep ships it as `skep skepd`, the same code in the skep binary; this
// main is for building the controller on its own.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"skep/internal/controller"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := controller.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
