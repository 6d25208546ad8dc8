package gguf

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// TestQuantizersMatchLlamaCpp quantizes an F32 export with llama.cpp's own
// llama_model_quantize and compares every tensor's type and bytes with
// Export's direct output. Two models: one whose rows are multiples of 256
// (Q4_K, Q6_K; 7,680 rows) and one whose rows are not (the Q5_0, Q8_0
// fallbacks of Q4_K_M; rows of 96 and 160).
func TestQuantizersMatchLlamaCpp(t *testing.T) {
	bin := llamaQuantizer(t)
	models := map[string]synth.ModelOptions{
		"k-quant rows":  {Dim: 256, Hidden: 768, Heads: 4, KVHeads: 2, Seed: 7},
		"fallback rows": {Dim: 96, Hidden: 160, Heads: 4, KVHeads: 2, Seed: 8},
	}
	for name, mo := range models {
		dir := synthModel(t, mo)
		f32 := export(t, dir, Options{Type: FileF32})
		for _, ft := range []FileType{FileQ8_0, FileQ6_K, FileQ4_KM} {
			t.Run(fmt.Sprintf("%s/%s", name, ft), func(t *testing.T) {
				ours := export(t, dir, Options{Type: ft})
				code, _ := ft.ftype()
				ref := filepath.Join(t.TempDir(), "ref.gguf")
				llamaQuantize(t, bin, f32, ref, code, 2)
				compareTensors(t, ref, ours)
			})
		}
	}
}

func compareTensors(t *testing.T, refPath, oursPath string) {
	t.Helper()
	ref, refData := tensors(t, refPath)
	ours, ourData := tensors(t, oursPath)
	if len(ref.Tensors) != len(ours.Tensors) {
		t.Fatalf("%d tensors, llama.cpp wrote %d", len(ours.Tensors), len(ref.Tensors))
	}
	blocks, types := 0, map[Type]int{}
	for _, rt := range ref.Tensors {
		ot, _ := ours.Tensor(rt.Name)
		if ot.Type != rt.Type {
			t.Errorf("%s: type %s, llama.cpp chose %s", rt.Name, ot.Type, rt.Type)
			continue
		}
		types[rt.Type]++
		a, b := refData[rt.Name], ourData[rt.Name]
		bs := rt.Type.BlockBytes()
		for i := 0; i < len(a); i += bs {
			if !bytes.Equal(a[i:i+bs], b[i:i+bs]) {
				t.Errorf("%s (%s): block %d differs\n ours %x\n ref  %x", rt.Name, rt.Type, i/bs, b[i:i+bs], a[i:i+bs])
				break
			}
			blocks++
		}
	}
	t.Logf("%d blocks byte-identical; types %v", blocks, types)
}
