package gguf

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// The test's own map of GGUF names to source names (native, HF), written
// independently of the exporter's.
var testNames = map[string][2]string{
	"token_embd":  {"tok_embeddings", "model.embed_tokens"},
	"output_norm": {"norm", "model.norm"},
	"output":      {"output", "lm_head"},
	"attn_norm":   {"attention_norm", "input_layernorm"},
	"attn_q":      {"attention.wq", "self_attn.q_proj"},
	"attn_k":      {"attention.wk", "self_attn.k_proj"},
	"attn_v":      {"attention.wv", "self_attn.v_proj"},
	"attn_output": {"attention.wo", "self_attn.o_proj"},
	"ffn_norm":    {"ffn_norm", "post_attention_layernorm"},
	"ffn_gate":    {"feed_forward.w1", "mlp.gate_proj"},
	"ffn_down":    {"feed_forward.w2", "mlp.down_proj"},
	"ffn_up":      {"feed_forward.w3", "mlp.up_proj"},
}

var blkName = regexp.MustCompile(`^blk\.(\d+)\.(\w+)\.weight$`)

func sourceName(gguf string, hf bool) string {
	i := 0
	if hf {
		i = 1
	}
	if m := blkName.FindStringSubmatch(gguf); m != nil {
		if hf {
			return "model.layers." + m[1] + "." + testNames[m[2]][1] + ".weight"
		}
		return "layers." + m[1] + "." + testNames[m[2]][0] + ".weight"
	}
	return testNames[strings.TrimSuffix(gguf, ".weight")][i] + ".weight"
}

// sourceTensors reads every source tensor as float64 rows, HF q/k rows put
// back in native (interleaved) order.
func sourceTensors(t testing.TB, dir string) (map[string][]float64, bool) {
	t.Helper()
	var cfg struct {
		Heads int `json:"num_attention_heads"`
		KV    int `json:"num_key_value_heads"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	hf := err == nil
	if hf {
		json.Unmarshal(b, &cfg)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	out := map[string][]float64{}
	for _, p := range files {
		f, err := safetensors.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range f.Tensors {
			v32, err := f.Floats(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			v := make([]float64, len(v32))
			for i, x := range v32 {
				v[i] = float64(x)
			}
			switch {
			case hf && strings.HasSuffix(ti.Name, "q_proj.weight"):
				v = toNative(v, ti.Shape, cfg.Heads)
			case hf && strings.HasSuffix(ti.Name, "k_proj.weight"):
				v = toNative(v, ti.Shape, cfg.KV)
			}
			out[ti.Name] = v
		}
		f.Close()
	}
	return out, hf
}

// toNative undoes transformers' permute_for_rope: HF row h·hd + s·hd/2 + i
// is native row h·hd + 2i + s.
func toNative(v []float64, shape []int64, heads int) []float64 {
	rows, cols := int(shape[0]), int(shape[1])
	hd := rows / heads
	out := make([]float64, len(v))
	for h := 0; h < heads; h++ {
		for s := 0; s < 2; s++ {
			for i := 0; i < hd/2; i++ {
				src := h*hd + s*hd/2 + i
				dst := h*hd + 2*i + s
				copy(out[dst*cols:(dst+1)*cols], v[src*cols:(src+1)*cols])
			}
		}
	}
	return out
}

// stepCheck compares dequantized values with the source: each within one
// quantization step of its block (exact for F32, one ulp for F16/BF16).
// It returns the worst |Δ|/step seen and the first failing element.
func stepCheck(typ Type, src []float64, got []float32) (worst float64, bad string) {
	block := map[Type]int{Q8_0: 32, Q5_0: 32, Q4_K: 32, Q6_K: 16}[typ]
	for b := 0; b < len(src); b += max(block, 1) {
		n := max(block, 1)
		lo, hi, amax := 0.0, 0.0, 0.0
		for _, x := range src[b : b+n] {
			lo, hi, amax = math.Min(lo, x), math.Max(hi, x), math.Max(amax, math.Abs(x))
		}
		for i := b; i < b+n; i++ {
			x := src[i]
			var step float64
			switch typ {
			case F32:
				step = 1e-300
			case BF16:
				step = math.Abs(x)*math.Pow(2, -7) + 1e-38
			case F16:
				step = math.Abs(x)*math.Pow(2, -10) + math.Pow(2, -24)
			case Q8_0:
				step = amax / 127
			case Q5_0:
				step = amax / 16
			case Q4_K:
				step = (hi - lo) / 15
			case Q6_K:
				step = amax / 32
			}
			r := math.Abs(float64(got[i])-x) / step
			if typ == F32 && got[i] == float32(x) {
				r = 0
			}
			worst = math.Max(worst, r)
			if r > 1 && bad == "" {
				bad = fmt.Sprintf("element %d is %g, source %g (step %.3g)", i, got[i], x, step)
			}
		}
	}
	return worst, bad
}

// checkAgainstSource compares every tensor of the GGUF at path with the
// source checkpoint in dir and returns the problems; worst is the largest
// |Δ|/step per type.
func checkAgainstSource(t testing.TB, path, dir string) (problems []string, worst map[Type]float64) {
	t.Helper()
	src, hf := sourceTensors(t, dir)
	f, data := tensors(t, path)
	worst = map[Type]float64{}
	seen := map[string]bool{}
	for _, ti := range f.Tensors {
		name := sourceName(ti.Name, hf)
		s, ok := src[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: no source tensor %s", ti.Name, name))
			continue
		}
		seen[name] = true
		if ti.Elements() != uint64(len(s)) {
			problems = append(problems, fmt.Sprintf("%s: %d elements, source %d", ti.Name, ti.Elements(), len(s)))
			continue
		}
		got := make([]float32, len(s))
		if err := Dequantize(ti.Type, data[ti.Name], got); err != nil {
			t.Fatal(err)
		}
		w, bad := stepCheck(ti.Type, s, got)
		worst[ti.Type] = math.Max(worst[ti.Type], w)
		if bad != "" {
			problems = append(problems, fmt.Sprintf("%s (%s): %s", ti.Name, ti.Type, bad))
		}
	}
	for name := range src {
		if !seen[name] {
			problems = append(problems, "source tensor "+name+" is not in the GGUF")
		}
	}
	return problems, worst
}
