package cli

import (
	"bytes"
	"context"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// FuzzAuditBundle feeds untrusted configs and lineage annotations, as a
// registry serves them, through what audit reads and evaluates.
func FuzzAuditBundle(f *testing.F) {
	f.Add(uint8(0), []byte(`{"descriptor":{"name":"x","licenses":["MIT","LicenseRef-MRL-0.1 OR"]}}`), `[{"role":"base","license":"MIT"}]`)
	f.Add(uint8(1), []byte(`{"kind":"merge","license":"Apache-2.0","lineage":[{"role":"adapter"}]}`), ``)
	f.Add(uint8(2), []byte(`{"package":{"license":"CC-BY-NC-4.0"}}`), `[]`)
	mts := []string{specv1.MediaTypeModelConfig, specv1.MediaTypeArtifactConfig, "application/vnd.kitops.modelkit.config.v1+json"}
	f.Fuzz(func(t *testing.T, sel uint8, cfg []byte, lineage string) {
		ctx := context.Background()
		s := memory.New()
		c := content.NewDescriptorFromBytes(mts[int(sel)%len(mts)], cfg)
		if err := s.Push(ctx, c, bytes.NewReader(cfg)); err != nil {
			t.Fatal(err)
		}
		m := ocispec.Manifest{Config: c, Annotations: map[string]string{specv1.AnnotationLineage: lineage}}
		b := &auditBundle{}
		if err := b.fromManifest(ctx, s, m); err != nil {
			return
		}
		md := &specv1.Metadata{Kind: b.Kind, ID: b.ID, License: b.License, Lineage: b.Lineage}
		lic.Explain(md, lic.Policy{Use: lic.UseProduction, Redistribute: true})
		lineageText(b.Lineage)
	})
}
