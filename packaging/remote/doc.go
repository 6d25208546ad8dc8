// Package remote copies model artifacts between OCI image layouts and
// registries with oras-go: push with referrers (license report,
// provenance), skip-existing, cross-repository mounts and files read from
// another repository (a remote cache); pull with digest verification,
// path-traversal refusal, partial pulls by file, parallel byte ranges and
// resumable downloads; and inspection of ModelPack, KitOps and Docker
// model artifacts.
//
// Nothing unverified gets a final name: a pull writes, decodes and checks
// each layer inside the destination's PartialDir and renames the result.
// Registry connections have connect, response-header and idle timeouts
// (Options; TimeoutError names the registry and the phase); a stalled or
// cut blob transfer is retried from where it stopped (Range GETs on pull,
// the upload session's reported offset on a chunked push).
//
// References are registry references (host[:port]/repo[:tag|@digest]) or
// OCI layout folders (oci:DIR[:tag|@digest]).
package remote
