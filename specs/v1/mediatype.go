package v1

// Media types of ckpt's own artifacts in the local store.
const (
	// MediaTypeArtifact is the artifactType of every step output in the store.
	MediaTypeArtifact = "application/vnd.ckpt.artifact.v1"
	// MediaTypeArtifactConfig is the config media type holding Metadata JSON.
	MediaTypeArtifactConfig = "application/vnd.ckpt.artifact.config.v1+json"
	// MediaTypeFile is the media type of a raw file layer in the local store.
	MediaTypeFile = "application/octet-stream"
)

// CNCF ModelPack media types (modelpack/model-spec specs-go/v1/mediatype.go).
const (
	MediaTypeModelManifest   = "application/vnd.cncf.model.manifest.v1+json"
	MediaTypeModelConfig     = "application/vnd.cncf.model.config.v1+json"
	MediaTypeModelWeightRaw  = "application/vnd.cncf.model.weight.v1.raw"
	MediaTypeModelWeightTar  = "application/vnd.cncf.model.weight.v1.tar"
	MediaTypeModelWeightZstd = "application/vnd.cncf.model.weight.v1.tar+zstd"
	MediaTypeModelConfigRaw  = "application/vnd.cncf.model.weight.config.v1.raw"
	MediaTypeModelConfigTar  = "application/vnd.cncf.model.weight.config.v1.tar"
	MediaTypeModelConfigZstd = "application/vnd.cncf.model.weight.config.v1.tar+zstd"
	MediaTypeModelDocRaw     = "application/vnd.cncf.model.doc.v1.raw"
	MediaTypeModelDocTar     = "application/vnd.cncf.model.doc.v1.tar"
	MediaTypeModelDocZstd    = "application/vnd.cncf.model.doc.v1.tar+zstd"
	MediaTypeModelDatasetRaw = "application/vnd.cncf.model.dataset.v1.raw"
	MediaTypeModelCodeRaw    = "application/vnd.cncf.model.code.v1.raw"
)

// ckpt's own layer and referrer media types.
const (
	// MediaTypeWeightFloat is a weight file encoded with ckpt's float-aware
	// byte-plane codec; only ckpt decodes it.
	MediaTypeWeightFloat = "application/vnd.ckpt.weight.v1.raw+bplane"
	// MediaTypeWeightZstd is a raw weight file compressed with zstd (not tar).
	MediaTypeWeightZstd = "application/vnd.ckpt.weight.v1.raw+zstd"
	// ArtifactTypeLicenseReport is the artifactType of the license report referrer.
	ArtifactTypeLicenseReport = "application/vnd.ckpt.license.report.v1+json"
	// ArtifactTypeEvalReport is the artifactType of the eval report referrer.
	ArtifactTypeEvalReport = "application/vnd.ckpt.eval.report.v1+json"
	// ArtifactTypeProvenance is the artifactType of the in-toto SLSA provenance referrer.
	ArtifactTypeProvenance = "application/vnd.in-toto+json"
	// MediaTypePluginBinary is a plugin executable pushed as an OCI artifact.
	MediaTypePluginBinary = "application/vnd.ckpt.plugin.binary.v1"
	// ArtifactTypePlugin is the artifactType of a pushed plugin.
	ArtifactTypePlugin = "application/vnd.ckpt.plugin.v1"
)

// Annotation keys.
const (
	AnnotationTitle        = "org.opencontainers.image.title"    // file name (oras convention)
	AnnotationCreated      = "org.opencontainers.image.created"  // fixed, never wall clock
	AnnotationFilepath     = "org.cncf.model.filepath"           // ModelPack relative path
	AnnotationFileMetadata = "org.cncf.model.file.metadata+json" // ModelPack file metadata

	AnnotationStep     = "dev.ckpt.step"      // step address, e.g. merge.support
	AnnotationCacheKey = "dev.ckpt.cache-key" // the step's cache key (sha256:...)
	AnnotationMode     = "dev.ckpt.file.mode" // file mode bits, octal
	// AnnotationLicense is the bundle's SPDX license expression (manifest).
	AnnotationLicense = "dev.ckpt.license"
	// AnnotationLineage is the bundle's lineage as JSON ([]Lineage) (manifest).
	AnnotationLineage = "dev.ckpt.lineage"
	// AnnotationCodec records the codec and settings of a compressed layer.
	AnnotationCodec = "dev.ckpt.codec"
	// AnnotationBaseManifest is the base model's manifest digest on an adapter bundle.
	AnnotationBaseManifest = "dev.ckpt.base.manifest"
	// AnnotationFilepathLegacy is the pre-CNCF ModelPack path annotation (read only).
	AnnotationFilepathLegacy = "org.cnai.model.filepath"
)
