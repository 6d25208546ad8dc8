// Package remote copies model artifacts between OCI image layouts and
// registries with oras-go: push with referrers (license report, provenance)
// and skip-existing, pull with digest verification, path-traversal refusal,
// partial pulls by file, parallel byte ranges and resumable downloads, and
// inspection of ModelPack, KitOps and Docker model artifacts.
//
// References are registry references (host[:port]/repo[:tag|@digest]) or
// OCI layout folders (oci:DIR[:tag|@digest]).
package remote
