package remote

import (
	"testing"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzReadLicense feeds untrusted configs and lineage annotations, as a
// registry serves them, through what Inspect (and so ckpt audit) reads
// and what a license policy then evaluates.
func FuzzReadLicense(f *testing.F) {
	f.Add(uint8(0), []byte(`{"descriptor":{"name":"x","licenses":["MIT","LicenseRef-MRL-0.1 OR"]}}`), `[{"role":"base","license":"MIT"}]`)
	f.Add(uint8(1), []byte(`{"kind":"merge","license":"Apache-2.0","lineage":[{"role":"adapter"}]}`), ``)
	f.Add(uint8(2), []byte(`{"package":{"license":"CC-BY-NC-4.0"}}`), `[]`)
	mts := []string{specv1.MediaTypeModelConfig, specv1.MediaTypeArtifactConfig, "application/vnd.kitops.modelkit.config.v1+json"}
	f.Fuzz(func(t *testing.T, sel uint8, cfg []byte, lineage string) {
		c := ocispec.Descriptor{MediaType: mts[int(sel)%len(mts)], Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
		m := ocispec.Manifest{Config: c, Annotations: map[string]string{specv1.AnnotationLineage: lineage}}
		r := &Report{}
		if err := r.readLicense(&modelpack.Artifact{Manifest: m, Config: cfg}); err != nil {
			return
		}
		lic.Explain(r.Metadata(), lic.Policy{Use: lic.UseProduction, Redistribute: true})
	})
}
