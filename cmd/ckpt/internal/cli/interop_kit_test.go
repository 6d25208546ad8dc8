package cli

import (
	"testing"

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
// manifest the bytes b.
func replaceLayer(t *testing.T, layout, mt string, b []byte) {
	t.Helper()
	found := false
	testenv.RewriteManifest(t, layout, func(m *ocispec.Manifest) {
		for i, l := range m.Layers {
			if l.MediaType == mt {
				m.Layers[i].Digest, m.Layers[i].Size, found = testenv.WriteBlob(t, layout, b), int64(len(b)), true
			}
		}
	})
	if !found {
		t.Fatalf("%s: no %s layer", layout, mt)
	}
}
