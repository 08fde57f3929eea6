// Package images holds the recipes of the images skep builds itself: one
// directory per image with a Dockerfile (FROM the skep base image, passed
// as the build argument BASE) and the files it copies. The binary carries
// them, and a changed recipe is a new image tag.
package images

import "embed"

// FS holds every recipe directory.
//
//go:embed */*
var FS embed.FS
