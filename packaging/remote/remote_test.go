package remote

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func TestParseRef(t *testing.T) {
	for in, want := range map[string]Ref{
		"localhost:5000/models/tiny:v1":              {Repository: "localhost:5000/models/tiny", Reference: "v1"},
		"reg.example.com/a/b":                        {Repository: "reg.example.com/a/b"},
		"oci:/tmp/layout":                            {Dir: "/tmp/layout"},
		"oci:./out:bundle":                           {Dir: "./out", Reference: "bundle"},
		"oci:/x/y@sha256:" + strings.Repeat("a", 64): {Dir: "/x/y", Reference: "sha256:" + strings.Repeat("a", 64)},
	} {
		got, err := ParseRef(in)
		if err != nil || got != want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"oci:", "host/UPPER:x", "host/repo:bad tag"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q): no error", bad)
		}
	}
}

func TestPushPullRegistry(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	m := testModel(300 << 10)
	layout, d := bundle(t, m, modelpack.Options{Name: "tiny"})
	dst, _ := ParseRef(reg.Host + "/models/tiny:v1")
	var mu sync.Mutex
	events := map[string]int{}
	opts := Options{PlainHTTP: true, Progress: func(e Event) { mu.Lock(); events[e.Action]++; mu.Unlock() }}
	got, err := Push(ctx, layout, "bundle", dst, PushOptions{Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != d.Digest {
		t.Fatalf("pushed %s, built %s", got.Digest, d.Digest)
	}
	if events["done"] == 0 {
		t.Errorf("no progress events: %v", events)
	}
	out := t.TempDir()
	res, err := Pull(ctx, dst, out, PullOptions{Options: Options{PlainHTTP: true}, RangeThreshold: 64 << 10, PartSize: 50 << 10})
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, out, m)
	if len(res.Files) != len(m) {
		t.Errorf("pulled %v", res.Files)
	}
	if _, err := os.Stat(filepath.Join(out, PartialDir)); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", PartialDir, err)
	}
	rep, err := Inspect(ctx, dst, Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range rep.Referrers {
		types = append(types, r.ArtifactType)
	}
	sort.Strings(types)
	if rep.Format != modelpack.FormatModelPack || rep.License != "Apache-2.0" || len(rep.Files) != len(m) ||
		strings.Join(types, ",") != specv1.ArtifactTypeLicenseReport+","+specv1.ArtifactTypeProvenance {
		t.Errorf("inspect: %+v", rep)
	}
}

func TestRepushSkipsExistingBlobs(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	m := testModel(100 << 10)
	layout, _ := bundle(t, m, modelpack.Options{})
	dst, _ := ParseRef(reg.Host + "/models/tiny:v1")
	opts := PushOptions{Options: Options{PlainHTTP: true}}
	if _, err := Push(ctx, layout, "bundle", dst, opts); err != nil {
		t.Fatal(err)
	}
	first := reg.BlobUploads.Load()
	if _, err := Push(ctx, layout, "bundle", dst, opts); err != nil {
		t.Fatal(err)
	}
	if n := reg.BlobUploads.Load() - first; n != 0 {
		t.Errorf("re-push of an unchanged bundle uploaded %d blobs", n)
	}
	m["consolidated.safetensors"] = append(m["consolidated.safetensors"], 1)
	layout2, _ := bundle(t, m, modelpack.Options{})
	before := reg.BlobUploads.Load()
	if _, err := Push(ctx, layout2, "bundle", dst, opts); err != nil {
		t.Fatal(err)
	}
	// The changed weight and the config (its diffIds changed); provenance
	// names the new manifest, so it changes too.
	if n := reg.BlobUploads.Load() - before; n != 3 {
		t.Errorf("push after one weight changed uploaded %d blobs, want 3", n)
	}
}

func TestPullInclude(t *testing.T) {
	ctx := context.Background()
	m := testModel(1000)
	layout, _ := bundle(t, m, modelpack.Options{TextCodec: modelpack.CodecZstd})
	src := Ref{Dir: layout, Reference: "bundle"}
	out := t.TempDir()
	res, err := Pull(ctx, src, out, PullOptions{Include: []string{"*.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Files, ",") != "params.json,tekken.json" {
		t.Errorf("pulled %v", res.Files)
	}
	checkFiles(t, out, model{"params.json": m["params.json"], "tekken.json": m["tekken.json"]})
	if _, err := os.Stat(filepath.Join(out, "consolidated.safetensors")); !os.IsNotExist(err) {
		t.Error("weights pulled although not included")
	}
}

func TestPullCodecs(t *testing.T) {
	ctx := context.Background()
	m := testModel(3<<20 + 1)
	for _, codec := range []string{modelpack.CodecTar, modelpack.CodecZstd, modelpack.CodecFloat} {
		layout, _ := bundle(t, m, modelpack.Options{WeightCodec: codec, TextCodec: modelpack.CodecZstd})
		out := t.TempDir()
		if _, err := Pull(ctx, Ref{Dir: layout, Reference: "bundle"}, out, PullOptions{}); err != nil {
			t.Fatalf("%s: %v", codec, err)
		}
		checkFiles(t, out, m)
	}
}

// rangeLog records the Range headers a registry client sends.
type rangeLog struct {
	mu     sync.Mutex
	ranges []string
}

func (r *rangeLog) RoundTrip(req *http.Request) (*http.Response, error) {
	if h := req.Header.Get("Range"); h != "" {
		r.mu.Lock()
		r.ranges = append(r.ranges, h)
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestPullResumes(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	m := testModel(200 << 10)
	layout, _ := bundle(t, m, modelpack.Options{})
	dst, _ := ParseRef(reg.Host + "/models/tiny:v1")
	if _, err := Push(ctx, layout, "bundle", dst, PushOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	w := m["consolidated.safetensors"]
	for name, partial := range map[string][]byte{"good prefix": w[:100<<10], "corrupt prefix": make([]byte, 100<<10)} {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			_ = os.MkdirAll(filepath.Join(out, PartialDir), 0o755)
			_ = os.WriteFile(filepath.Join(out, PartialDir, sum(w)), partial, 0o644)
			log := &rangeLog{}
			opts := PullOptions{Options: Options{PlainHTTP: true, HTTPClient: &http.Client{Transport: log}}, RangeThreshold: -1}
			if _, err := Pull(ctx, dst, out, opts); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, out, m)
			if !strings.Contains(strings.Join(log.ranges, ";"), "bytes=102400-") {
				t.Errorf("no resuming Range request: %v", log.ranges)
			}
		})
	}
}

func TestPushRefusesMissingLayout(t *testing.T) {
	_, err := Push(context.Background(), filepath.Join(t.TempDir(), "nope"), "bundle", Ref{Dir: t.TempDir()}, PushOptions{})
	if err == nil {
		t.Fatal("no error")
	}
	layout, _ := bundle(t, testModel(10), modelpack.Options{})
	_, err = Push(context.Background(), layout, "no-such-tag", Ref{Dir: t.TempDir(), Reference: "x"}, PushOptions{})
	if err == nil || !strings.Contains(err.Error(), "no-such-tag") {
		t.Fatalf("unknown tag: %v", err)
	}
}

func TestPushToLayout(t *testing.T) {
	ctx := context.Background()
	layout, d := bundle(t, testModel(1000), modelpack.Options{})
	dst := Ref{Dir: filepath.Join(t.TempDir(), "out"), Reference: "v1"}
	if _, err := Push(ctx, layout, "bundle", dst, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect(ctx, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Digest != d.Digest.String() || len(rep.Referrers) != 2 {
		t.Errorf("inspect after layout push: %+v", rep)
	}
	_, err = Inspect(ctx, Ref{Dir: dst.Dir, Reference: "nope"}, Options{})
	if err == nil || errors.Is(err, ErrDigestMismatch) {
		t.Errorf("unknown tag: %v", err)
	}
}

func TestPullResumesRanges(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	m := testModel(200 << 10)
	layout, _ := bundle(t, m, modelpack.Options{})
	dst, _ := ParseRef(reg.Host + "/models/tiny:v1")
	if _, err := Push(ctx, layout, "bundle", dst, PushOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	w := m["consolidated.safetensors"]
	out := t.TempDir()
	_ = os.MkdirAll(filepath.Join(out, PartialDir), 0o755)
	partial := append(append([]byte(nil), w[:50<<10]...), make([]byte, len(w)-50<<10)...)
	_ = os.WriteFile(filepath.Join(out, PartialDir, sum(w)), partial, 0o644)
	state := make([]byte, 32)
	binary.LittleEndian.PutUint64(state, 50<<10)
	_ = os.WriteFile(filepath.Join(out, PartialDir, sum(w)+".parts"), state, 0o644)
	log := &rangeLog{}
	opts := PullOptions{Options: Options{PlainHTTP: true, HTTPClient: &http.Client{Transport: log}}, RangeThreshold: 64 << 10, PartSize: 50 << 10}
	if _, err := Pull(ctx, dst, out, opts); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, out, m)
	for _, r := range log.ranges {
		if strings.HasPrefix(r, "bytes=0-") && r != "bytes=0-0" {
			t.Errorf("part 0 fetched again although done: %v", log.ranges)
		}
	}
	if !strings.Contains(strings.Join(log.ranges, ";"), "bytes=51200-102399") {
		t.Errorf("ranges %v", log.ranges)
	}
}
