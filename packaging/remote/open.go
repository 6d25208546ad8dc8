package remote

import (
	"context"
	"fmt"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
)

// Open opens ref for reading and writing (a registry repository, or an
// existing layout folder) and resolves its reference as Pull does: what
// signing and verifying a published bundle need.
func Open(ctx context.Context, ref Ref, opts Options) (oras.GraphTarget, ocispec.Descriptor, error) {
	var t oras.GraphTarget
	if ref.IsLayout() {
		if _, err := os.Stat(ref.Dir); err != nil {
			return nil, ocispec.Descriptor{}, fmt.Errorf("OCI layout %s: %w", ref.Dir, err)
		}
		s, err := oci.NewWithContext(ctx, ref.Dir)
		if err != nil {
			return nil, ocispec.Descriptor{}, fmt.Errorf("OCI layout %s: %w", ref.Dir, err)
		}
		t = s
	} else {
		repo, err := Repository(ctx, ref, opts)
		if err != nil {
			return nil, ocispec.Descriptor{}, err
		}
		t = repo
	}
	d, err := resolve(ctx, t, ref)
	if err != nil {
		return nil, d, err
	}
	return t, d, nil
}
