// Temporary: builds image recipes outside the lab lock. Removed before report.
package main

import (
	"context"
	"fmt"
	"os"

	skimage "skep/internal/image"
)

func main() {
	cli, err := skimage.Local()
	if err != nil {
		panic(err)
	}
	for _, r := range os.Args[1:] {
		tag, err := skimage.Build(context.Background(), cli, r, func(f string, a ...any) { fmt.Printf(f+"\n", a...) })
		if err != nil {
			fmt.Println("ERROR", r, err)
			os.Exit(1)
		}
		fmt.Println(r, tag)
	}
}
