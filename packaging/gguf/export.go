package gguf

import (
	"context"
	"fmt"
	"io"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
)

// Options describe one export. The zero value writes BF16 with no
// general.name, license or base models.
type Options struct {
	// Type is the recipe (default FileBF16).
	Type FileType
	// Name is general.name, e.g. "support-assistant".
	Name string
	// License is general.license: the artifact's SPDX expression.
	License string
	// BaseModels are general.base_model.N.*, from the artifact's lineage.
	BaseModels []BaseModel
	// Workers converts this many chunks at once (default GOMAXPROCS).
	Workers int
}

// BaseModel is one general.base_model.N entry.
type BaseModel struct {
	Name         string
	Organization string
	Version      string
	RepoURL      string
}

// Export converts the model in srcDir (native params.json +
// consolidated*.safetensors, or HF config.json + model*.safetensors,
// sharded or not) to one GGUF file at outPath, tensor by tensor. outPath
// appears complete or not at all. A model Export cannot map faithfully is
// refused (ErrUnsupported, ErrShape, ErrTokenizer) before anything is
// written.
func Export(ctx context.Context, srcDir, outPath string, o Options) error {
	if o.Type == "" {
		o.Type = FileBF16
	}
	ftype, err := o.Type.ftype()
	if err != nil {
		return err
	}
	m, err := openModel(srcDir)
	if err != nil {
		return err
	}
	defer m.Close()
	tok, err := tokenizerKV(srcDir)
	if err != nil {
		return err
	}
	if v, ok := (&File{KV: tok}).Get("tokenizer.ggml.tokens"); ok && len(v.([]string)) != m.params.VocabSize {
		return fmt.Errorf("%s: %w: the tokenizer has %d tokens, %s says vocab_size %d", srcDir, ErrTokenizer, len(v.([]string)), m.configName(), m.params.VocabSize)
	}
	return m.write(ctx, outPath, append(modelKV(m.params, o, ftype), tok...), o)
}

// write converts m's tensors for o.Type into a GGUF file with metadata kv.
func (m *model) write(ctx context.Context, outPath string, kv []KV, o Options) error {
	srcs := m.sources(o.Type)
	infos := make([]TensorInfo, len(srcs))
	for i, s := range srcs {
		infos[i] = s.info()
	}
	return writeFile(ctx, outPath, kv, infos, func(ctx context.Context, gw *Writer) error {
		c := newConverter(o.Workers)
		for _, s := range srcs {
			if err := gw.WriteTensor(s.name, func(w io.Writer) error { return c.write(ctx, w, s) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeFile writes a GGUF file atomically: header, then body's tensors.
func writeFile(ctx context.Context, path string, kv []KV, infos []TensorInfo, body func(context.Context, *Writer) error) error {
	f, err := state.Create(path, 0o644)
	if err != nil {
		return err
	}
	gw, err := NewWriter(f, kv, infos)
	if err == nil {
		err = body(ctx, gw)
	}
	if err == nil {
		err = gw.Close()
	}
	if err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// contextLength is the model's trained context: max_position_embeddings,
// else max_seq_len, else mistral-inference's default of 32768.
func contextLength(p *mistral.Params) uint32 {
	switch {
	case p.MaxPositionEmbeddings > 0:
		return uint32(p.MaxPositionEmbeddings)
	case p.MaxSeqLen > 0:
		return uint32(p.MaxSeqLen)
	}
	return 32768
}

// modelKV is the general.* and llama.* metadata convert_hf_to_gguf.py
// writes for a dense Mistral model.
func modelKV(p *mistral.Params, o Options, ftype uint32) []KV {
	kv := []KV{{"general.architecture", "llama"}, {"general.type", "model"}}
	if o.Name != "" {
		kv = append(kv, KV{"general.name", o.Name})
	}
	kv = append(kv, generalKV(o.License, o.BaseModels)...)
	kv = append(kv, KV{"general.file_type", ftype})
	if o.Type.quantized() {
		kv = append(kv, KV{"general.quantization_version", uint32(2)})
	}
	theta := mistral.DefaultRopeTheta
	if p.RopeTheta != nil {
		theta = *p.RopeTheta
	}
	kv = append(kv,
		KV{"llama.vocab_size", uint32(p.VocabSize)},
		KV{"llama.context_length", contextLength(p)},
		KV{"llama.embedding_length", uint32(p.Dim)},
		KV{"llama.block_count", uint32(p.NLayers)},
		KV{"llama.feed_forward_length", uint32(p.HiddenDim)},
		KV{"llama.rope.dimension_count", uint32(p.HeadDim)},
		KV{"llama.rope.freq_base", float32(theta)},
		KV{"llama.attention.head_count", uint32(p.NHeads)},
		KV{"llama.attention.head_count_kv", uint32(p.NKVHeads)},
		KV{"llama.attention.layer_norm_rms_epsilon", float32(p.NormEps)})
	if p.HeadDim*p.NHeads != p.Dim {
		kv = append(kv, KV{"llama.attention.key_length", uint32(p.HeadDim)}, KV{"llama.attention.value_length", uint32(p.HeadDim)})
	}
	return kv
}

func generalKV(license string, bases []BaseModel) []KV {
	var kv []KV
	if license != "" {
		kv = append(kv, KV{"general.license", license})
	}
	if len(bases) > 0 {
		kv = append(kv, KV{"general.base_model.count", uint32(len(bases))})
	}
	for i, b := range bases {
		pre := fmt.Sprintf("general.base_model.%d.", i)
		for _, f := range [][2]string{{"name", b.Name}, {"organization", b.Organization}, {"version", b.Version}, {"repo_url", b.RepoURL}} {
			if f[1] != "" {
				kv = append(kv, KV{pre + f[0], f[1]})
			}
		}
	}
	return kv
}
