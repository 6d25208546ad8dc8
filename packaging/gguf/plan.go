package gguf

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// FileType is an export recipe: one tensor type for every weight matrix,
// or llama.cpp's Q4_K_M mixture. Norms are always F32.
type FileType string

// File types Export writes.
const (
	FileF32   FileType = "f32"
	FileF16   FileType = "f16"
	FileBF16  FileType = "bf16"
	FileQ8_0  FileType = "q8_0"
	FileQ6_K  FileType = "q6_k"
	FileQ4_KM FileType = "q4_k_m"
)

// FileTypes lists the recipes, in the order people rank them by size.
func FileTypes() []FileType {
	return []FileType{FileF32, FileF16, FileBF16, FileQ8_0, FileQ6_K, FileQ4_KM}
}

// ftype is general.file_type (llama.h enum llama_ftype).
func (f FileType) ftype() (uint32, error) {
	switch f {
	case FileF32:
		return 0, nil
	case FileF16:
		return 1, nil
	case FileQ8_0:
		return 7, nil
	case FileQ4_KM:
		return 15, nil
	case FileQ6_K:
		return 18, nil
	case FileBF16:
		return 32, nil
	}
	return 0, fmt.Errorf("unknown GGUF type %q (want one of %v)", string(f), FileTypes())
}

func (f FileType) quantized() bool { return f == FileQ8_0 || f == FileQ6_K || f == FileQ4_KM }

// tensorType picks the type of a 2-D weight as llama.cpp's quantizer does
// (llama-quant.cpp llama_tensor_get_type_impl and tensor_type_fallback) so
// that Export's output equals llama-quantize's on the same F32 input.
func (f FileType) tensorType(role string, cols int64, layer, nLayers int, tied bool) Type {
	var t Type
	switch f {
	case FileF32:
		return F32
	case FileF16:
		return F16
	case FileBF16:
		return BF16
	case FileQ8_0:
		t = Q8_0
	case FileQ6_K:
		t = Q6_K
	case FileQ4_KM:
		t = q4kmType(role, cols, layer, nLayers, tied)
	}
	return fallback(t, cols)
}

func q4kmType(role string, cols int64, layer, nLayers int, tied bool) Type {
	moreBits := layer < nLayers/8 || layer >= 7*nLayers/8 || (layer-nLayers/8)%3 == 2
	switch {
	case role == "output" || (tied && role == "token_embd"):
		if cols%QK_K != 0 {
			return Q8_0
		}
		return Q6_K
	case (role == "attn_v" || role == "ffn_down") && moreBits:
		return Q6_K
	}
	return Q4_K
}

func fallback(t Type, cols int64) Type {
	if cols%int64(t.BlockSize()) != 0 {
		switch t {
		case Q4_K:
			t = Q5_0
		case Q6_K:
			t = Q8_0
		}
	}
	if cols%int64(t.BlockSize()) != 0 {
		return F16
	}
	return t
}

// source is one tensor to convert: where it is, what it becomes.
type source struct {
	file   *safetensors.File
	src    safetensors.TensorInfo
	name   string // GGUF name
	role   string // token_embd, attn_q, ... output_norm
	layer  int
	rows   int64
	cols   int64
	typ    Type
	rotary int     // heads to un-permute from the HF basis, 0 for none
	scale  float32 // multiplies the values when not 0 (folded LoRA scales)
}

func (s *source) info() TensorInfo {
	shape := []uint64{uint64(s.cols)}
	if len(s.src.Shape) == 2 {
		shape = append(shape, uint64(s.rows))
	}
	return TensorInfo{Name: s.name, Shape: shape, Type: s.typ}
}

var nativeLayer = regexp.MustCompile(`^layers\.(\d+)\.(.+)\.weight$`)

// ggufName maps a native tensor name to llama.cpp's (arch llama).
func ggufName(native string) (name, role string, layer int, ok bool) {
	switch native {
	case "tok_embeddings.weight":
		return "token_embd.weight", "token_embd", -1, true
	case "norm.weight":
		return "output_norm.weight", "output_norm", -1, true
	case "output.weight":
		return "output.weight", "output", -1, true
	}
	m := nativeLayer.FindStringSubmatch(native)
	if m == nil {
		return "", "", 0, false
	}
	roles := map[string]string{"attention_norm": "attn_norm", "attention.wq": "attn_q", "attention.wk": "attn_k",
		"attention.wv": "attn_v", "attention.wo": "attn_output", "ffn_norm": "ffn_norm",
		"feed_forward.w1": "ffn_gate", "feed_forward.w2": "ffn_down", "feed_forward.w3": "ffn_up"}
	role, ok = roles[m[2]]
	if !ok {
		return "", "", 0, false
	}
	layer, _ = strconv.Atoi(m[1])
	return fmt.Sprintf("blk.%d.%s.weight", layer, role), role, layer, true
}

// roleOrder is the order of a block's tensors in the files Export writes.
var roleOrder = []string{"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"}

func sortSources(s []*source) {
	rank := func(x *source) (int, int) {
		switch x.role {
		case "token_embd":
			return -1, 0
		case "output_norm":
			return 1 << 30, 0
		case "output":
			return 1 << 30, 1
		}
		return x.layer, slices.Index(roleOrder, x.role)
	}
	slices.SortFunc(s, func(a, b *source) int {
		la, ra := rank(a)
		lb, rb := rank(b)
		if la != lb {
			return la - lb
		}
		return ra - rb
	})
}

// model is an opened source checkpoint.
type model struct {
	dir     string
	layout  *mistral.Layout
	params  *mistral.Params
	files   []*safetensors.File
	tensors map[string]*source // by native name
}

func (m *model) Close() {
	for _, f := range m.files {
		f.Close()
	}
}

func (m *model) configName() string {
	if m.layout.Format == mistral.FormatHF {
		return "config.json"
	}
	return "params.json"
}
