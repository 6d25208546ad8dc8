package remote

import (
	"fmt"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// LayoutPrefix marks a reference to an OCI image layout folder.
const LayoutPrefix = "oci:"

// Ref is a parsed reference: a registry repository or a layout folder,
// with a tag or digest (Reference, may be empty).
type Ref struct {
	// Dir is the layout folder; empty for registry references.
	Dir string
	// Repository is host[:port]/repo for registry references.
	Repository string
	// Reference is a tag or a digest.
	Reference string
}

// IsLayout tells whether r names a layout folder.
func (r Ref) IsLayout() bool { return r.Dir != "" }

// String formats r back into its syntax.
func (r Ref) String() string {
	base, sep := r.Repository, ":"
	if r.IsLayout() {
		base = LayoutPrefix + r.Dir
	}
	if r.Reference == "" {
		return base
	}
	if strings.Contains(r.Reference, ":") {
		sep = "@"
	}
	return base + sep + r.Reference
}

// ParseRef parses "oci:DIR[:tag|@digest]" or a registry reference
// "host[:port]/repo[:tag|@digest]".
func ParseRef(s string) (Ref, error) {
	if dir, ok := strings.CutPrefix(s, LayoutPrefix); ok {
		return parseLayoutRef(dir)
	}
	ref, err := registry.ParseReference(s)
	if err != nil {
		return Ref{}, fmt.Errorf("reference %q: %w", s, err)
	}
	return Ref{Repository: ref.Registry + "/" + ref.Repository, Reference: ref.Reference}, nil
}

func parseLayoutRef(s string) (Ref, error) {
	var r Ref
	if dir, dg, ok := strings.Cut(s, "@"); ok {
		r.Dir, r.Reference = dir, dg
	} else if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") && i >= 0 {
		r.Dir, r.Reference = s[:i], s[i+1:]
	} else {
		r.Dir = s
	}
	if r.Dir == "" {
		return r, fmt.Errorf("reference %q: empty layout folder", LayoutPrefix+s)
	}
	return r, nil
}
