package sign_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/sign"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
)

const password = "correct-horse-7f3a9c"

// keyPair writes a ckpt-made cosign key pair into dir and loads it.
func keyPair(t *testing.T, dir, name string) (*sign.Signer, *sign.Verifier, string) {
	t.Helper()
	priv, pub, err := sign.GenerateKey([]byte(password))
	if err != nil {
		t.Fatal(err)
	}
	kp := filepath.Join(dir, name+".key")
	if err := os.WriteFile(kp, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := sign.LoadPrivateKeyFile(kp, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	v, err := sign.LoadPublicKey(name+".pub", pub)
	if err != nil {
		t.Fatal(err)
	}
	return s, v, kp
}

// pushModel pushes a small ModelPack-like artifact with one layer per file
// and tags it tag.
func pushModel(t *testing.T, ctx context.Context, dst oras.Target, tag string, files map[string][]byte) ocispec.Descriptor {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var layers []ocispec.Descriptor
	for _, n := range names {
		d := content.NewDescriptorFromBytes(specv1.MediaTypeModelWeightRaw, files[n])
		d.Annotations = map[string]string{specv1.AnnotationFilepath: n, specv1.AnnotationTitle: n}
		if err := dst.Push(ctx, d, bytes.NewReader(files[n])); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
			t.Fatal(err)
		}
		layers = append(layers, d)
	}
	m, err := oras.PackManifest(ctx, dst, oras.PackManifestVersion1_1, specv1.MediaTypeModelManifest, oras.PackManifestOptions{
		Layers: layers, ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.Tag(ctx, m, tag); err != nil {
		t.Fatal(err)
	}
	return m
}

func layout(t *testing.T) *oci.Store {
	t.Helper()
	s, err := oci.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func provenance(t *testing.T) sign.Predicate {
	t.Helper()
	p := map[string]any{
		"buildDefinition": map[string]any{"buildType": "https://ckpt.dev/build/v1",
			"externalParameters": map[string]any{"step": "bundle.release"}},
		"runDetails": map[string]any{"builder": map[string]any{"id": "https://ckpt.dev/ckpt"}},
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return sign.Predicate{Type: sign.PredicateSLSAProvenance, JSON: b}
}

func licenseReport() sign.Predicate {
	return sign.Predicate{Type: sign.PredicateLicenseReport,
		JSON: json.RawMessage(`{"license":"Apache-2.0","verdict":"allowed","note":"<a&b>"}`)}
}

func modelFiles() map[string][]byte {
	return map[string][]byte{
		"model.safetensors": []byte("weights-0123456789"),
		"config.json":       []byte(`{"dim":8}`),
		"LICENSE":           []byte("Apache License 2.0"),
	}
}

// rewriteEnvelope changes the statement inside every DSSE envelope under
// tag with edit, keeping the signatures, and re-tags the result.
func rewriteEnvelope(t *testing.T, ctx context.Context, st oras.Target, tag string, edit func([]byte) []byte) {
	t.Helper()
	md, err := st.Resolve(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := content.FetchAll(ctx, st, md)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	for i, l := range m.Layers {
		b, err := content.FetchAll(ctx, st, l)
		if err != nil {
			t.Fatal(err)
		}
		var env map[string]any
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		stmt, err := base64.StdEncoding.DecodeString(env["payload"].(string))
		if err != nil {
			t.Fatal(err)
		}
		env["payload"] = base64.StdEncoding.EncodeToString(edit(stmt))
		nb, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		nd := content.NewDescriptorFromBytes(l.MediaType, nb)
		nd.Annotations = l.Annotations
		if err := st.Push(ctx, nd, bytes.NewReader(nb)); err != nil {
			t.Fatal(err)
		}
		m.Layers[i] = nd
	}
	nb, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	nd := content.NewDescriptorFromBytes(m.MediaType, nb)
	if err := st.Push(ctx, nd, bytes.NewReader(nb)); err != nil {
		t.Fatal(err)
	}
	if err := st.Tag(ctx, nd, tag); err != nil {
		t.Fatal(err)
	}
}
