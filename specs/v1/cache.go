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
