package v1

// Remote cache entries (packaging/cache): an OCI image index tagged
// "cache-" + the hex of the step's cache key (as the local store names it),
// whose one manifest is the step's artifact manifest, with these
// annotations and AnnotationCacheKey, AnnotationStep, AnnotationCreated on
// the index.
const (
	// ArtifactTypeCacheEntry is the artifactType of a remote cache entry index.
	ArtifactTypeCacheEntry = "application/vnd.ckpt.cache.entry.v1+json"

	AnnotationPluginName    = "dev.ckpt.plugin.name"    // the plugin that made the entry
	AnnotationPluginVersion = "dev.ckpt.plugin.version" // its version
	AnnotationPluginDigest  = "dev.ckpt.plugin.digest"  // its binary's digest (the locked one)
)

// Remote memo entries (packaging/cache): a plugin's answer that does not
// depend on a step's files (a description, a clean validation), shared by
// the runners of a remote cache so that a fresh runner whose every step is
// a remote hit starts no plugin. An entry is an OCI image manifest tagged
// "memo-" + the hex of AnnotationMemoKey, whose config is the answer's
// JSON (also embedded in the config descriptor's data), with one empty
// layer and these annotations, AnnotationPluginName and
// AnnotationPluginDigest. No timestamp: the same answer is the same
// manifest.
const (
	// ArtifactTypeMemo is the artifactType of a remote memo entry manifest.
	ArtifactTypeMemo = "application/vnd.ckpt.memo.v1+json"
	// MediaTypeMemo is the media type of its config, the answer's JSON.
	MediaTypeMemo = "application/vnd.ckpt.memo.answer.v1+json"

	AnnotationMemoKind = "dev.ckpt.memo.kind" // "describe" or "validate"
	// AnnotationMemoKey is "sha256:" over kind, a NUL byte and the memo's
	// key (for describe the binary digest; for validate the plugin name,
	// its binary digest and the whole request), so that the key, which
	// holds a step's config, is never published.
	AnnotationMemoKey = "dev.ckpt.memo.key"
)
