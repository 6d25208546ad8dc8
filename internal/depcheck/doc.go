// Package depcheck holds the test that enforces the import rules of
// DESIGN.md: imports point down (specs ← packaging ← plugins/sdk ← plugins ←
// cmd, and specs ← pipeline ← cmd); the pipeline never imports plugins or
// packaging; plugins/sdk imports neither HCL nor packaging.
package depcheck
