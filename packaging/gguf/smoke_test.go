package gguf

import (
	"context"
	"os"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

func TestSmoke(t *testing.T) {
	if os.Getenv("SMOKE") == "" {
		t.Skip()
	}
	ctx := context.Background()
	for _, l := range []mistral.Format{mistral.FormatNative, mistral.FormatHF} {
		dir := "/tmp/gg/" + string(l)
		os.RemoveAll(dir)
		if err := synth.Model(ctx, dir, synth.ModelOptions{Layout: l, Dim: 256, Hidden: 512, Heads: 4, KVHeads: 2}); err != nil {
			t.Fatal(err)
		}
		for _, ft := range FileTypes() {
			if err := Export(ctx, dir, "/tmp/gg/"+string(l)+"-"+string(ft)+".gguf", Options{Type: ft, Name: "smoke"}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
