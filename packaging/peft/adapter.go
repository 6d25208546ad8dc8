package peft

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// Format is an adapter file format.
type Format string

// Adapter formats.
const (
	FormatPEFT            Format = "peft"
	FormatMistralFinetune Format = "mistral-finetune"
)

// File names of each format.
const (
	PEFTConfigFile  = "adapter_config.json"
	PEFTWeightsFile = "adapter_model.safetensors"
	MFWeightsFile   = "lora.safetensors"
	MFParamsFile    = "params.json"
)

// ErrInvalid is wrapped by every adapter validation error.
var ErrInvalid = errors.New("invalid LoRA adapter")

// Module is one adapted linear layer: its name as the adapter spells it
// (HF for PEFT, native for mistral-finetune), its lora_A [r, in] and
// lora_B [out, r] tensors and its scale.
type Module struct {
	Name  string
	A, B  safetensors.TensorInfo
	Rank  int
	Alpha float64
	// Scale multiplies B·A: alpha/r, alpha/√r (rsLoRA) or mistral-finetune's
	// absolute scaling.
	Scale float64
}

// Adapter is a LoRA adapter read from a folder.
type Adapter struct {
	Format Format
	Dir    string
	// File is the adapter's safetensors file.
	File string
	// Config is set for PEFT adapters, Params for mistral-finetune ones.
	Config *Config
	Params *mistral.Params
	// Rank and Alpha are the adapter-wide values (Alpha = scaling·rank for
	// mistral-finetune); RSLoRA is PEFT's use_rslora.
	Rank    int
	Alpha   float64
	RSLoRA  bool
	Modules []Module
	// DType is the lora tensors' dtype.
	DType    safetensors.DType
	Warnings []string
}

// Naming returns the layout the adapter's module names follow.
func (a *Adapter) Naming() mistral.Format {
	if a.Format == FormatPEFT {
		return mistral.FormatHF
	}
	return mistral.FormatNative
}

// DefaultBasis is the q/k basis an adapter of this format was trained in
// unless told otherwise: HF for PEFT, native for mistral-finetune.
func (a *Adapter) DefaultBasis() mistral.Basis {
	if a.Format == FormatPEFT {
		return mistral.BasisHF
	}
	return mistral.BasisNative
}

// Read reads and checks an adapter folder of the given format.
func Read(dir string, f Format) (*Adapter, error) {
	switch f {
	case FormatPEFT:
		return readPEFT(dir)
	case FormatMistralFinetune:
		return readMF(dir)
	}
	return nil, fmt.Errorf("unknown adapter format %q (want peft or mistral-finetune)", f)
}

func readPEFT(dir string) (*Adapter, error) {
	cfgPath := filepath.Join(dir, PEFTConfigFile)
	cfg, err := ReadConfig(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, err := cfg.targets(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, cfgPath, err)
	}
	a := &Adapter{Format: FormatPEFT, Dir: dir, File: filepath.Join(dir, PEFTWeightsFile), Config: cfg,
		Rank: cfg.R, Alpha: cfg.LoraAlpha, RSLoRA: cfg.UseRSLoRA}
	if _, err := os.Stat(filepath.Join(dir, "adapter_model.bin")); err == nil {
		if _, err := os.Stat(a.File); err != nil {
			return nil, fmt.Errorf("%w: %s: only adapter_model.bin (pickle) found; convert it to safetensors", ErrInvalid, dir)
		}
	}
	if err := a.readTensors("base_model.model."); err != nil {
		return nil, err
	}
	return a, a.scalePEFT()
}

func (a *Adapter) scalePEFT() error {
	for i := range a.Modules {
		m := &a.Modules[i]
		r, ok, err := patternValue(a.Config.RankPattern, m.Name)
		if err != nil {
			return fmt.Errorf("%w: %s: rank_pattern: %w", ErrInvalid, a.File, err)
		}
		if !ok {
			r = a.Config.R
		}
		alpha, ok, err := patternValue(a.Config.AlphaPattern, m.Name)
		if err != nil {
			return fmt.Errorf("%w: %s: alpha_pattern: %w", ErrInvalid, a.File, err)
		}
		if !ok {
			alpha = a.Config.LoraAlpha
		}
		if m.Rank != r {
			return fmt.Errorf("%w: %s: tensor %q has rank %d, adapter_config.json says r = %d", ErrInvalid, a.File, m.A.Name, m.Rank, r)
		}
		m.Alpha = alpha
		m.Scale = alpha / float64(r)
		if a.Config.UseRSLoRA {
			m.Scale = alpha / math.Sqrt(float64(r))
		}
	}
	return nil
}

func readMF(dir string) (*Adapter, error) {
	pp := filepath.Join(dir, MFParamsFile)
	p, err := mistral.ReadParams(pp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	a := &Adapter{Format: FormatMistralFinetune, Dir: dir, File: filepath.Join(dir, MFWeightsFile), Params: p}
	if err := a.readTensors(""); err != nil {
		return nil, err
	}
	scaling, rank := 2.0, 0
	if p.LoRA == nil {
		a.Warnings = append(a.Warnings, pp+": no \"lora\" block; using mistral-finetune's default scaling 2.0")
	} else {
		scaling, rank = p.LoRA.Scaling, p.LoRA.Rank
	}
	if len(a.Modules) > 0 && rank == 0 {
		rank = a.Modules[0].Rank
	}
	a.Rank, a.Alpha = rank, scaling*float64(rank)
	for i := range a.Modules {
		m := &a.Modules[i]
		if m.Rank != rank {
			return nil, fmt.Errorf("%w: %s: tensor %q has rank %d, params.json lora.rank is %d", ErrInvalid, a.File, m.A.Name, m.Rank, rank)
		}
		m.Scale, m.Alpha = scaling, scaling*float64(rank)
	}
	return a, nil
}

// readTensors pairs the lora_A and lora_B tensors of the adapter file and
// refuses any other tensor.
func (a *Adapter) readTensors(prefix string) error {
	h, err := safetensors.ReadFileHeader(a.File)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	mods := map[string]*Module{}
	for _, t := range h.Tensors {
		mod, which, err := splitLoRAName(t.Name, prefix)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalid, a.File, err)
		}
		if len(t.Shape) != 2 {
			return fmt.Errorf("%w: %s: tensor %q has shape %v, want a matrix", ErrInvalid, a.File, t.Name, t.Shape)
		}
		if a.DType == "" {
			a.DType = t.DType
		}
		m := mods[mod]
		if m == nil {
			m = &Module{Name: mod}
			mods[mod] = m
		}
		if which == "A" {
			m.A = t
		} else {
			m.B = t
		}
	}
	if len(mods) == 0 {
		return fmt.Errorf("%w: %s: no lora_A/lora_B tensors", ErrInvalid, a.File)
	}
	return a.collect(mods)
}

func (a *Adapter) collect(mods map[string]*Module) error {
	names := make([]string, 0, len(mods))
	for n := range mods {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := mods[n]
		switch {
		case m.A.Name == "":
			return fmt.Errorf("%w: %s: tensor %q has no matching lora_A", ErrInvalid, a.File, m.B.Name)
		case m.B.Name == "":
			return fmt.Errorf("%w: %s: tensor %q has no matching lora_B", ErrInvalid, a.File, m.A.Name)
		case m.A.Shape[0] != m.B.Shape[1]:
			return fmt.Errorf("%w: %s: tensor %q is %v but %q is %v: ranks differ", ErrInvalid, a.File, m.A.Name, m.A.Shape, m.B.Name, m.B.Shape)
		}
		m.Rank = int(m.A.Shape[0])
		a.Modules = append(a.Modules, *m)
	}
	return nil
}

// splitLoRAName splits "<prefix><module>.lora_A.weight" and refuses the
// tensors of variants a LoRA merge cannot apply.
func splitLoRAName(name, prefix string) (module, which string, err error) {
	switch {
	case strings.Contains(name, "lora_magnitude_vector"):
		return "", "", fmt.Errorf("tensor %q: DoRA adapters are refused", name)
	case strings.Contains(name, "lora_embedding_"):
		return "", "", fmt.Errorf("tensor %q: embedding LoRA is refused", name)
	case strings.HasSuffix(name, ".lora_B.bias"):
		return "", "", fmt.Errorf("tensor %q: lora_B bias is refused", name)
	case !strings.HasPrefix(name, prefix):
		return "", "", fmt.Errorf("tensor %q: expected the %q prefix", name, prefix)
	}
	rest := strings.TrimPrefix(name, prefix)
	for _, w := range []string{"A", "B"} {
		if m, ok := strings.CutSuffix(rest, ".lora_"+w+".weight"); ok && m != "" {
			return m, w, nil
		}
	}
	return "", "", fmt.Errorf("tensor %q is not a lora_A/lora_B weight (modules_to_save or a full weight?); such adapters are refused", name)
}
