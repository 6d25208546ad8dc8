// Package interop runs other projects' own clients against what ckpt
// writes. It is a module of its own so that their dependencies stay out
// of ckpt's go.mod: cd internal/interop && go test ./...
package interop
