package modelpack

import (
	"fmt"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Blob is one named file of a referrer manifest.
type Blob struct {
	MediaType string
	// Title is the file name (org.opencontainers.image.title).
	Title string
	Data  []byte
	// Annotations are extra layer annotations.
	Annotations map[string]string
}

// Attach stores a referrer manifest of subject: artifactType, the empty
// config and one layer per blob, listed (untagged) in index.json so that
// copies with referrers find it.
func Attach(l *Layout, subject ocispec.Descriptor, artifactType string, blobs []Blob) (ocispec.Descriptor, error) {
	empty, err := l.PutBytes(ocispec.MediaTypeEmptyJSON, []byte("{}"))
	if err != nil {
		return empty, err
	}
	empty.Data = []byte("{}")
	var layers []ocispec.Descriptor
	for _, b := range blobs {
		d, err := l.PutBytes(b.MediaType, b.Data)
		if err != nil {
			return d, fmt.Errorf("referrer %s: %w", b.Title, err)
		}
		d.Annotations = map[string]string{specv1.AnnotationTitle: b.Title}
		for k, v := range b.Annotations {
			d.Annotations[k] = v
		}
		layers = append(layers, d)
	}
	subj := ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	m := ocispec.Manifest{Versioned: specsVersioned(), MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType, Config: empty, Layers: layers, Subject: &subj}
	return l.AddManifest(m, "")
}
