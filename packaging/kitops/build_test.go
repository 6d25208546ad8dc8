package kitops

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

func TestBuildRefusesCodecs(t *testing.T) {
	l, err := modelpack.CreateLayout(filepath.Join(t.TempDir(), "layout"))
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []modelpack.Options{{WeightCodec: modelpack.CodecZstd}, {TextCodec: modelpack.CodecTar}} {
		if _, err := Build(context.Background(), l, nil, opts); err == nil {
			t.Errorf("%+v: a ModelKit with a codec", opts)
		}
	}
}

func TestGroupOrder(t *testing.T) {
	files := []modelpack.File{{Path: "README.md"}, {Path: "b.safetensors"}, {Path: "a.safetensors"},
		{Path: "params.json"}, {Path: "train.jsonl"}, {Path: "run.py"}}
	var got []string
	for _, g := range group(files) {
		got = append(got, g.layerType+":"+g.file.Path)
	}
	want := []string{"model:a.safetensors", "modelpart:b.safetensors", "modelpart:params.json", "code:run.py", "dataset:train.jsonl", "docs:README.md"}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("layer %d: %s, want %s", i, got[i], want[i])
		}
	}
}
