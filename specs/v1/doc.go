// Package v1 is the normative, versioned contract of ckpt: media types,
// annotation keys, the artifact metadata stored as the config of every
// artifact, the step schema description that plugins declare, and the
// request and result of a step run.
//
// It is a leaf package: it imports only the standard library, so that the
// pipeline, the plugins and the packaging code can all share it. The prose
// that goes with it is in specs/artifact.md, specs/language.md and
// specs/plugin-protocol.md.
package v1
