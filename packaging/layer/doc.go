// Package layer encodes and decodes the bytes of one OCI layer: raw files,
// deterministic single-file tar streams, zstd (tuned so that bf16 weights
// actually compress) and ckpt's float-aware byte-plane codec.
//
// Every encoder is deterministic: the same input bytes and options give the
// same output bytes on any machine (pinned library version, fixed tar
// headers). Decoders read untrusted bytes and never panic.
package layer
