// Package images holds the recipes of the images skep builds itself, so the
// binary carries them and a recipe change is seen as a new image hash.
package images

import "embed"

// Node is the recipe of the lab's machine-like node image.
//
//go:embed node
var Node embed.FS
