package cli

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
)

// fleetPush adds a push of the fleet's bundle to var.target.
const fleetPush = `variable "target" { default = "" }

push "registry" "release" {
  bundle = bundle.release
  ref    = var.target
}
`

// pushTo runs ckpt push of the project in dir to target with the remote
// cache ref and returns the pushed manifest's digest ("" on failure) and
// the error output.
func pushTo(t *testing.T, dir, ref, target string) (string, string) {
	t.Helper()
	code, out, errOut := ckptProc(t, nil, "push", dir, "--json", "--plain-http", "--cache", ref, "--var", "target="+target)
	if code != 0 {
		return "", errOut
	}
	for _, l := range outcomeOf(parseEvents(t, out)).logs {
		if _, at, ok := strings.Cut(l, "push.release: pushed "+target+"@"); ok {
			return at, errOut
		}
	}
	t.Fatalf("push to %s: no digest in the log\n%s", target, out)
	return "", ""
}

// weights are the layers of runner A's model and merge (digest → bytes),
// and the largest merged file its bundle holds.
func weights(t *testing.T, a string) (map[string]int64, string) {
	t.Helper()
	evs, _ := buildEvents(t, a) // every step a local hit
	A := outcomeOf(evs)
	out, _ := layers(t, a, A.artifacts["model.base"])
	merged, _ := layers(t, a, A.artifacts["merge.support"])
	inBundle, _ := layers(t, a, A.artifacts["bundle.release"])
	var shipped string
	for dg, n := range merged {
		out[dg] = n
		if inBundle[dg] > 0 && n > merged[shipped] {
			shipped = dg
		}
	}
	return out, shipped
}

// noWeights fails when the proxy saw any weight bytes or blob upload.
func noWeights(t *testing.T, proxy *testenv.Proxy, w map[string]int64, what string) {
	t.Helper()
	if up := proxy.BlobBytesUp(); up != 0 {
		t.Errorf("%s uploaded %d blob bytes, want 0 (every blob mounted)", what, up)
	}
	for dg, n := range proxy.Fetched() {
		if w[dg] > 0 && n > 0 {
			t.Errorf("%s downloaded weights: %s (%d bytes)", what, dg, n)
		}
	}
}

func TestRemoteCachePushMovesNoWeights(t *testing.T) {
	a, b, ref, proxy := fleet(t, "", fleetPush)
	other := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	w, shipped := weights(t, a)
	if shipped == "" {
		t.Fatal("the bundle holds none of the merged files")
	}
	proxy.Reset()
	dA, errOut := pushTo(t, a, ref, proxy.Host+"/models/a:v1")
	if dA == "" {
		t.Fatalf("runner A's push: %s", errOut)
	}
	noWeights(t, proxy, w, "runner A's push (its files mounted from the cache)")

	// Runner B: every file in the cache, a second repository of its registry.
	proxy.Reset()
	if dB, errOut := pushTo(t, b, ref, proxy.Host+"/models/b:v1"); dB != dA {
		t.Errorf("runner B pushed %q, A %s\n%s", dB, dA, errOut)
	}
	noWeights(t, proxy, w, "runner B's push to the cache's registry")
	t.Logf("runner B's push to the cache's registry: %d blob bytes down (manifests, index), %d up", proxy.BlobBytesDown(), proxy.BlobBytesUp())

	// Another registry: streamed from the cache, once.
	proxy.Reset()
	if dC, errOut := pushTo(t, b, ref, other.Host+"/models/c:v1"); dC != dA {
		t.Errorf("runner B pushed %q to another registry, A %s\n%s", dC, dA, errOut)
	}
	if n := proxy.Fetched()[shipped]; n != w[shipped] {
		t.Errorf("the push to another registry read %d bytes of %s from the cache, want its %d once", n, shipped, w[shipped])
	}
	outA, outB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, x := range []struct{ ref, out string }{{proxy.Host + "/models/a:v1", outA}, {other.Host + "/models/c:v1", outB}} {
		if code, _, errOut := ckptProc(t, nil, "pull", x.ref, x.out, "--plain-http"); code != 0 {
			t.Fatalf("pull %s: exit %d: %s", x.ref, code, errOut)
		}
	}
	sameTree(t, outA, outB)

	// A cache that cannot serve a blob it lists: the push fails, naming it.
	proxy.Refuse(func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+shipped)
	})
	if d, errOut := pushTo(t, b, ref, other.Host+"/models/d:v1"); d != "" || !strings.Contains(errOut, shipped) || !strings.Contains(errOut, "remote cache") {
		t.Errorf("push with a blob the cache lost: pushed %q\n%s", d, errOut)
	}
}
