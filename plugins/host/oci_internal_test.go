package host

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

const goodDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func manifest(mut func(*ocispec.Manifest)) []byte {
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: specv1.ArtifactTypePlugin,
		Layers: []ocispec.Descriptor{{MediaType: specv1.MediaTypePluginBinary, Digest: goodDigest, Size: 10,
			Platform: &ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}}}}
	m.SchemaVersion = 2
	if mut != nil {
		mut(&m)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestParsePluginManifest(t *testing.T) {
	ls, err := parsePluginManifest(manifest(nil), "m")
	if err != nil || ls[runtime.GOOS+"/"+runtime.GOARCH].Digest != goodDigest {
		t.Fatalf("good manifest: %v, %v", ls, err)
	}
	rp := &remotePlugin{ref: "r", manifest: "m", layers: ls}
	if _, err := rp.layer("plan9/amd64"); err == nil || !strings.Contains(err.Error(), "no binary for plan9/amd64 (it has "+HostPlatform()+")") {
		t.Errorf("missing platform: %v", err)
	}
	for name, tc := range map[string]struct {
		mut  func(*ocispec.Manifest)
		want string
	}{
		"not a plugin": {func(m *ocispec.Manifest) { m.ArtifactType = "application/vnd.other" }, "is not a ckpt plugin"},
		"two layers":   {func(m *ocispec.Manifest) { m.Layers = append(m.Layers, m.Layers[0]) }, "two binaries for platform"},
		"no layer":     {func(m *ocispec.Manifest) { m.Layers = nil }, "has no layer"},
		"size":         {func(m *ocispec.Manifest) { m.Layers[0].Size = 0 }, "has size 0"},
		"digest":       {func(m *ocispec.Manifest) { m.Layers[0].Digest = "sha256:xyz" }, "plugin binary layer"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parsePluginManifest(manifest(tc.mut), "m")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := parsePluginManifest([]byte("{"), "m"); err == nil {
		t.Error("broken JSON accepted")
	}
}

func FuzzParsePluginManifest(f *testing.F) {
	f.Add(manifest(nil))
	f.Add([]byte(`{"layers":[{"mediaType":"` + specv1.MediaTypePluginBinary + `","size":-1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, err := parsePluginManifest(b, "fuzz")
		for _, l := range ls {
			if err == nil && (l.Size <= 0 || l.Digest.Validate() != nil) {
				t.Fatalf("accepted layer %+v", l)
			}
		}
	})
}
