// Package proto holds ckpt's plugin protocol (plugin.proto, package
// ckpt.plugin.v1) and the Go code generated from it with `make proto`.
// Structured payloads are JSON documents of the specs/v1 types; see
// specs/plugin-protocol.md for the normative description.
package proto
