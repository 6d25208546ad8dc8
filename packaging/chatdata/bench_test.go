package chatdata_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatdata"
	"github.com/ckpt-dev/ckpt/packaging/synth/chatset"
)

func BenchmarkCheck10k(b *testing.B) {
	var tr, va bytes.Buffer
	if _, err := chatset.Write(&tr, &va, chatset.Options{N: 10000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "train.jsonl")
	if err := os.WriteFile(p, tr.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(tr.Len()))
	for b.Loop() {
		if _, err := chatdata.Check(b.Context(), []chatdata.Split{{Name: "train", Path: p}}, chatdata.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
