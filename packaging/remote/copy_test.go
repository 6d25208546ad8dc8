package remote

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
)

// Copy from a layout to a registry, to another repository, back into a
// layout: every hop keeps the referrers; a second copy sends nothing.
func TestCopyKeepsReferrers(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	m := testModel(1 << 20)
	layout, d := bundle(t, m, modelpack.Options{})
	opts := PushOptions{Options: Options{PlainHTTP: true}}
	a, b := Ref{Repository: reg.Host + "/m/a", Reference: "v1"}, Ref{Repository: reg.Host + "/m/b"}
	out := Ref{Dir: t.TempDir()}
	for _, hop := range [][2]Ref{{{Dir: layout, Reference: "bundle"}, a}, {a, b}, {{Repository: b.Repository, Reference: "v1"}, out}} {
		res, err := Copy(ctx, hop[0], hop[1], opts)
		if err != nil {
			t.Fatalf("copy %s to %s: %v", hop[0], hop[1], err)
		}
		if res.Manifest.Digest != d.Digest || res.Manifests != 3 {
			t.Errorf("copy %s to %s: %s, %d manifests (want the bundle and 2 referrers)", hop[0], hop[1], res.Manifest.Digest, res.Manifests)
		}
		dst := hop[1]
		dst.Reference = "v1"
		rep, err := Inspect(ctx, dst, opts.Options)
		if err != nil || len(rep.Referrers) != 2 || len(rep.Warnings) != 0 {
			t.Fatalf("inspect %s: %v %+v %v", dst, err, rep.Referrers, rep.Warnings)
		}
	}
	res, err := Copy(ctx, a, b, opts)
	if err != nil || res.Skipped != res.Manifests+res.Blobs || res.Skipped == 0 {
		t.Errorf("second copy: %+v %v (want everything skipped)", res, err)
	}
	pulled := t.TempDir()
	if _, err := Pull(ctx, out, pulled, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, pulled, m)
}

func TestCopyMissing(t *testing.T) {
	reg := testenv.NewRegistry(t)
	opts := PushOptions{Options: Options{PlainHTTP: true}}
	_, err := Copy(context.Background(), Ref{Repository: reg.Host + "/none", Reference: "v1"}, Ref{Dir: t.TempDir()}, opts)
	if !errors.Is(err, errdef.ErrNotFound) {
		t.Errorf("copy of a missing tag: %v", err)
	}
}

// A copy by a tool that keeps only the manifest graph (as skopeo does)
// is flagged by Inspect.
func TestInspectWarnsLostReferrers(t *testing.T) {
	ctx := context.Background()
	layout, d := bundle(t, testModel(1024), modelpack.Options{})
	src, err := oci.NewFromFS(ctx, os.DirFS(layout))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dst, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oras.Copy(ctx, src, d.Digest.String(), dst, "v1", oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect(ctx, Ref{Dir: dir, Reference: "v1"}, Options{})
	if err != nil || len(rep.Warnings) != 2 || !strings.Contains(rep.Warnings[0], "license.report") {
		t.Fatalf("inspect of a copy without referrers: %v %q", err, rep.Warnings)
	}
}
