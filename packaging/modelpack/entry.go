package modelpack

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// AddEntry lists an already stored manifest of another format (a Docker
// v2 manifest of an Ollama bundle, say) in index.json, tagged with tag
// when tag is not empty.
func (l *Layout) AddEntry(d ocispec.Descriptor, tag string) {
	if tag != "" {
		d.Annotations = map[string]string{ocispec.AnnotationRefName: tag}
	}
	l.mu.Lock()
	l.idx = append(l.idx, d)
	l.mu.Unlock()
}
