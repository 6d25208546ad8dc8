package gguf

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// AdapterOptions describe one adapter export.
type AdapterOptions struct {
	// Format is the adapter's format (default peft.FormatPEFT).
	Format peft.Format
	// Basis is the q/k basis the adapter was trained in (default: HF for
	// PEFT, native for mistral-finetune).
	Basis mistral.Basis
	// Name, License and BaseModels are general.* as for Export.
	Name       string
	License    string
	BaseModels []BaseModel
}

// ExportAdapter converts a LoRA adapter for the model in baseDir into
// llama.cpp's adapter GGUF (general.type "adapter", adapter.type "lora",
// adapter.lora.alpha, blk.N.*.weight.lora_a [in, r] and .lora_b [r, out],
// F32): applied at load time on top of Export's GGUF of the same base, it
// gives the merged model. lora_b rows of q/k trained in the HF basis are
// un-permuted like the base's weights. When modules have different scales
// (rank_pattern, alpha_pattern, rsLoRA), each scale is folded into lora_b
// and adapter.lora.alpha is 0 (llama.cpp then applies no alpha/r).
func ExportAdapter(ctx context.Context, adapterDir, baseDir, outPath string, o AdapterOptions) error {
	if o.Format == "" {
		o.Format = peft.FormatPEFT
	}
	m, err := openModel(baseDir)
	if err != nil {
		return err
	}
	defer m.Close()
	a, err := peft.Read(adapterDir, o.Format)
	if err != nil {
		return err
	}
	base, err := peft.LoadBase(baseDir)
	if err != nil {
		return err
	}
	targets, err := a.Resolve(base, o.Basis)
	if err != nil {
		return err
	}
	f, err := safetensors.Open(a.File)
	if err != nil {
		return err
	}
	defer f.Close()
	alpha, fold := adapterAlpha(a, targets)
	srcs, err := adapterSources(m, f, targets, fold)
	if err != nil {
		return err
	}
	kv := []KV{{"general.architecture", "llama"}, {"general.type", "adapter"}}
	if o.Name != "" {
		kv = append(kv, KV{"general.name", o.Name})
	}
	kv = append(kv, generalKV(o.License, o.BaseModels)...)
	kv = append(kv, KV{"adapter.type", "lora"}, KV{"adapter.lora.alpha", float32(alpha)})
	infos := make([]TensorInfo, len(srcs))
	for i, s := range srcs {
		infos[i] = s.info()
	}
	return writeFile(ctx, outPath, kv, infos, func(ctx context.Context, gw *Writer) error {
		c := newConverter(0)
		for _, s := range srcs {
			if err := gw.WriteTensor(s.name, func(w io.Writer) error { return c.write(ctx, w, s) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// adapterAlpha returns the adapter's alpha when every module's scale is
// alpha/r (what llama.cpp applies), else 0 and fold = true.
func adapterAlpha(a *peft.Adapter, ts []peft.Target) (alpha float64, fold bool) {
	for _, t := range ts {
		if math.Abs(t.Scale-a.Alpha/float64(t.Rank)) > 1e-12*math.Abs(t.Scale) {
			return 0, true
		}
	}
	return a.Alpha, false
}

// adapterSources maps each target to its lora_a and lora_b GGUF tensors,
// in the order of the base's tensors.
func adapterSources(m *model, f *safetensors.File, ts []peft.Target, fold bool) ([]*source, error) {
	var out []*source
	for _, t := range ts {
		native := t.BaseTensor
		if m.layout.Format == mistral.FormatHF {
			n, err := mistral.NameMap{}.ToNative(t.BaseTensor)
			if err != nil {
				return nil, err
			}
			native = n
		}
		name, role, layer, ok := ggufName(native)
		if !ok || len(m.tensors[native].src.Shape) != 2 {
			return nil, fmt.Errorf("%s: tensor %q: %w: base tensor %q has no GGUF LoRA mapping", f.Path, t.A.Name, ErrUnsupported, t.BaseTensor)
		}
		a := &source{file: f, src: t.A, name: name + ".lora_a", role: role, layer: layer, rows: t.A.Shape[0], cols: t.A.Shape[1], typ: F32}
		b := &source{file: f, src: t.B, name: name + ".lora_b", role: role, layer: layer, rows: t.B.Shape[0], cols: t.B.Shape[1], typ: F32}
		if h, ok := mistral.RotaryHeads(m.params, native); ok && t.From == mistral.BasisHF {
			b.rotary = h
		}
		if fold {
			b.scale = float32(t.Scale)
		}
		out = append(out, a, b)
	}
	slices.SortStableFunc(out, func(x, y *source) int {
		if x.layer != y.layer {
			return x.layer - y.layer
		}
		return slices.Index(roleOrder, x.role) - slices.Index(roleOrder, y.role)
	})
	return out, nil
}
