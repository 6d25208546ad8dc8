package gguf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// TestQuantizersMatchLlamaCpp quantizes an F32 export with llama.cpp's own
// llama_model_quantize and compares every tensor's type and bytes with
// Export's direct output. Two models: one whose rows are multiples of 256
// (Q4_K, Q6_K; 7,680 rows) and one whose rows are not (the Q5_0, Q8_0
// fallbacks of Q4_K_M; rows of 96 and 160), each with edge-case rows.
func TestQuantizersMatchLlamaCpp(t *testing.T) {
	bin := llamaQuantizer(t)
	models := map[string]synth.ModelOptions{
		"k-quant rows":  {Dim: 256, Hidden: 768, Heads: 4, KVHeads: 2, Seed: 7},
		"fallback rows": {Dim: 96, Hidden: 160, Heads: 4, KVHeads: 2, Seed: 8},
	}
	for name, mo := range models {
		dir := synthModel(t, mo)
		patchEdgeRows(t, dir)
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

// patchEdgeRows overwrites the first rows of tok_embeddings and layer 0's
// wq with values that reach the quantizers' rare branches: an all-zero
// row, a constant row, a lone outlier, alternating signs, values below
// GROUP_MAX_EPS, all-negative, and exact ties of the Q8_0 rounding.
func patchEdgeRows(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "consolidated.safetensors")
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, name := range []string{"tok_embeddings.weight", "layers.0.attention.wq.weight"} {
		ti, _ := f.Tensor(name)
		cols := int(ti.Shape[1])
		rows := [][]float32{make([]float32, cols)}
		gen := []func(i int) float32{
			func(int) float32 { return 0.5 },
			func(i int) float32 { return map[bool]float32{true: 30, false: float32(i%7-3) * 1e-3}[i == 5] },
			func(i int) float32 { return float32(1-2*(i%2)) * 0.01 },
			func(i int) float32 { return float32(i%5) * 1e-20 },
			func(i int) float32 { return -0.001 * float32(1+i%9) },
			func(i int) float32 { return float32(i%32-16) * 0.5 }, // x·127/8 hits halves
		}
		for _, g := range gen {
			r := make([]float32, cols)
			for i := range r {
				r[i] = g(i)
			}
			rows = append(rows, r)
		}
		buf := make([]byte, 2*cols)
		for i, r := range rows {
			if err := safetensors.Encode(safetensors.BF16, r, buf); err != nil {
				t.Fatal(err)
			}
			if _, err := w.WriteAt(buf, f.DataOffset+ti.Begin+int64(i*len(buf))); err != nil {
				t.Fatal(err)
			}
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
