// Package modelpack writes and reads CNCF ModelPack model artifacts in an
// OCI image layout: one layer per file, the model config (only the fields
// valid in both model-spec v0.0.7 and main), referrers for the license
// report and the SLSA provenance, and a reader that also understands KitOps
// ModelKits and Docker model artifacts.
//
// Everything it writes is deterministic: the same files and options give
// the same manifest digest on any machine.
package modelpack
