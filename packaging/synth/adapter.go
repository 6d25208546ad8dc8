package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// AllTargets returns the native linear layers of a Mistral block.
func AllTargets() []string { return []string{"wq", "wk", "wv", "wo", "w1", "w2", "w3"} }

// AdapterOptions describe a synthetic LoRA adapter for a base model folder.
type AdapterOptions struct {
	// Base is the base model folder (native or HF); required.
	Base string
	// Format is peft.FormatPEFT (default) or peft.FormatMistralFinetune.
	Format peft.Format
	// Rank is r (default 8); Alpha is lora_alpha (default 2·Rank, i.e.
	// mistral-finetune's default scaling 2.0). For mistral-finetune the
	// written scaling is Alpha/Rank.
	Rank  int
	Alpha float64
	// Targets are native module kinds (wq wk wv wo w1 w2 w3; default all).
	Targets []string
	// RSLoRA sets use_rslora (PEFT only).
	RSLoRA bool
	// Basis is the q/k basis the adapter's lora_B rows are in (default: HF
	// for PEFT, native for mistral-finetune). For the same seed, adapters
	// of both formats and bases are twins: the same update in one basis.
	Basis mistral.Basis
	// DType of the lora tensors: the base's dominant dtype by default.
	DType string
	Seed  uint64
}

// Adapter writes a synthetic adapter for o.Base into dir.
func Adapter(ctx context.Context, dir string, o AdapterOptions) error {
	base, err := peft.LoadBase(o.Base)
	if err != nil {
		return err
	}
	o, err = o.withDefaults(base)
	if err != nil {
		return err
	}
	dt := base.DType()
	if o.DType != "" {
		if dt, err = safetensors.ParseShortName(o.DType); err != nil {
			return err
		}
	}
	tensors, modules, err := loraTensors(ctx, base, o, dt)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if o.Format == peft.FormatMistralFinetune {
		p := *base.Params
		p.LoRA = &mistral.LoRA{Enable: ptr(true), Rank: o.Rank, Scaling: o.Alpha / float64(o.Rank)}
		return peft.WriteMistralFinetune(dir, &p, tensors)
	}
	return peft.WritePEFT(dir, peftConfig(o, modules), tensors)
}

func ptr[T any](v T) *T { return &v }

func (o AdapterOptions) withDefaults(base *peft.Base) (AdapterOptions, error) {
	if o.Format == "" {
		o.Format = peft.FormatPEFT
	}
	if o.Format != peft.FormatPEFT && o.Format != peft.FormatMistralFinetune {
		return o, fmt.Errorf("adapter format %q: want peft or mistral-finetune", o.Format)
	}
	if o.Rank == 0 {
		o.Rank = 8
	}
	if o.Alpha == 0 {
		o.Alpha = 2 * float64(o.Rank)
	}
	if len(o.Targets) == 0 {
		o.Targets = AllTargets()
	}
	if o.Basis == "" {
		o.Basis = mistral.BasisHF
		if o.Format == peft.FormatMistralFinetune {
			o.Basis = mistral.BasisNative
		}
	}
	if o.Rank < 0 || !(o.Alpha > 0) || o.RSLoRA && o.Format != peft.FormatPEFT {
		return o, fmt.Errorf("rank %d, alpha %g, rslora %v: need rank > 0, alpha > 0 and rslora only for peft", o.Rank, o.Alpha, o.RSLoRA)
	}
	for _, t := range o.Targets {
		if !isTarget(t) {
			return o, fmt.Errorf("target %q: want one of %s", t, strings.Join(AllTargets(), ","))
		}
	}
	return o, nil
}

func isTarget(t string) bool {
	for _, a := range AllTargets() {
		if a == t {
			return true
		}
	}
	return false
}

// loraTensors draws A [r,in] and B [out,r] for every targeted module of the
// base (native names seed the generators), permuting q/k B rows to HF when
// the basis is HF.
func loraTensors(ctx context.Context, base *peft.Base, o AdapterOptions, dt safetensors.DType) ([]safetensors.Tensor, []string, error) {
	var out []safetensors.Tensor
	var modules []string
	for _, ts := range mistral.ExpectedTensors(base.Params) {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		native := strings.TrimSuffix(ts.Name, ".weight")
		if !targeted(native, o.Targets) || strings.HasPrefix(native, "vision") {
			continue
		}
		module := native
		if o.Format == peft.FormatPEFT {
			module, _ = mistral.NameMap{Vision: base.Params.VisionEncoder != nil}.ToHF(native)
		}
		a, b, err := loraPair(base.Params, native, ts.Shape, o, dt)
		if err != nil {
			return nil, nil, err
		}
		r := int64(o.Rank)
		out = append(out,
			safetensors.Tensor{Spec: safetensors.Spec{Name: peft.TensorName(o.Format, module, "A"), DType: dt, Shape: []int64{r, ts.Shape[1]}}, Data: a},
			safetensors.Tensor{Spec: safetensors.Spec{Name: peft.TensorName(o.Format, module, "B"), DType: dt, Shape: []int64{ts.Shape[0], r}}, Data: b})
		modules = append(modules, module)
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("no module of the base matches targets %v", o.Targets)
	}
	return out, modules, nil
}

func targeted(native string, targets []string) bool {
	for _, t := range targets {
		if strings.HasSuffix(native, "."+t) {
			return true
		}
	}
	return false
}

func loraPair(p *mistral.Params, native string, shape []int64, o AdapterOptions, dt safetensors.DType) (a, b []byte, err error) {
	r := int64(o.Rank)
	gen := func(key string, rows, cols int64) []byte {
		f := make([]float32, rows*cols)
		for i := range rows {
			row(o.Seed, key, i, false, f[i*cols:(i+1)*cols])
		}
		buf := make([]byte, rows*cols*int64(dt.Size()))
		safetensors.Encode(dt, f, buf)
		return buf
	}
	a = gen(native+".lora_A", r, shape[1])
	b = gen(native+".lora_B", shape[0], r)
	if heads, ok := mistral.RotaryHeads(p, native); ok && o.Basis == mistral.BasisHF {
		b, err = mistral.PermuteRows(b, int(shape[0]), heads, mistral.BasisNative)
	}
	return a, b, err
}

func peftConfig(o AdapterOptions, modules []string) *peft.Config {
	c := peft.DefaultConfig()
	c.TaskType = "CAUSAL_LM"
	c.BaseModelNameOrPath = filepath.Base(o.Base)
	c.R, c.LoraAlpha, c.UseRSLoRA = o.Rank, o.Alpha, o.RSLoRA
	kinds := map[string]bool{}
	var list []string
	for _, m := range modules {
		k := m[strings.LastIndex(m, ".")+1:]
		if !kinds[k] {
			kinds[k] = true
			list = append(list, k)
		}
	}
	c.TargetModules = mustJSON(list)
	c.PeftVersion = "0.17.0"
	return &c
}
