package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/kitops"
)

// TestKitRefusesBrokenModelKit proves the kit judge of TestInteropReaders
// can fail: a ModelKit whose model layer was swapped for bytes that are no
// tar (digest and size right, so the registry takes it, but not the layer
// its Kitfile config records) is refused by kit pull or unpack.
func TestKitRefusesBrokenModelKit(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	kit := testenv.RequirePeer(t, "kit")
	var v variant
	for _, x := range interopVariants {
		if x.typ == "kitops" {
			v = x
		}
	}
	layout, _ := buildVariant(t, v)
	replaceLayer(t, layout, kitops.MediaType("model"), []byte("this is not a tar archive\n"))
	ref := reg.Host + "/interop/broken-kit:v1"
	if code, out, errOut := ckpt("push", "--bundle", layout, ref, "--plain-http"); code != 0 {
		t.Fatalf("push: %s %s", out, errOut)
	}
	env := []string{"KITOPS_HOME=" + t.TempDir()}
	out, err := tool(env, kit, "pull", "--plain-http", ref)
	if err == nil {
		var uout string
		uout, err = tool(env, kit, "unpack", ref, "-d", t.TempDir())
		out += uout
	}
	if err == nil {
		t.Fatalf("kit pulled and unpacked a ModelKit whose model layer is no tar:\n%s", out)
	}
	t.Logf("kit refuses the broken ModelKit: %s", tailLine(out))
}

// replaceLayer gives the layer of media type mt of the layout's one
// manifest the bytes b, rewriting the manifest and index.json to match.
func replaceLayer(t *testing.T, layout, mt string, b []byte) {
	t.Helper()
	var idx ocispec.Index
	readJSON(t, filepath.Join(layout, "index.json"), &idx)
	var m ocispec.Manifest
	readJSON(t, blobFile(layout, idx.Manifests[0].Digest), &m)
	found := false
	for i, l := range m.Layers {
		if l.MediaType == mt {
			m.Layers[i].Digest, m.Layers[i].Size, found = writeBlob(t, layout, b), int64(len(b)), true
		}
	}
	if !found {
		t.Fatalf("%s: no %s layer", layout, mt)
	}
	mb, _ := json.Marshal(m)
	idx.Manifests[0].Digest, idx.Manifests[0].Size = writeBlob(t, layout, mb), int64(len(mb))
	ib, _ := json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(layout, "index.json"), ib, 0o644); err != nil {
		t.Fatal(err)
	}
}

func blobFile(layout string, d digest.Digest) string {
	return filepath.Join(layout, "blobs", d.Algorithm().String(), d.Encoded())
}

func writeBlob(t *testing.T, layout string, b []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(b)
	if err := os.WriteFile(blobFile(layout, d), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
