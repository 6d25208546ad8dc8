package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/lora"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// newSynthCmd is `ckpt synth`: format-faithful synthetic checkpoints,
// adapters, broken bundles and eval data for tests, demos and benchmarks.
func newSynthCmd(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "synth",
		Short: "Write synthetic checkpoints, adapters and data for tests, demos and benchmarks",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newSynthModelCmd(stdio), newSynthAdapterCmd(stdio), newSynthMergeCmd(stdio), newSynthBreakCmd(stdio))
	cmd.AddCommand(newSynthEvalCmds(stdio)...)
	return cmd
}

func newSynthModelCmd(stdio *IO) *cobra.Command {
	var o synth.ModelOptions
	var layout, shard, size string
	cmd := &cobra.Command{
		Use:   "model OUT",
		Short: "Write a synthetic Mistral checkpoint (native or HF layout)",
		Long: `Write a synthetic Mistral checkpoint into OUT: params.json + consolidated.safetensors
(native) or config.json + model*.safetensors + tokenizer_config.json (hf), plus
generation_config.json, a valid tekken.json (v7) and chat_template.jinja. Weights are
N(0, 0.02) (norms 1), deterministic for --seed, written block by block (a multi-GB model
needs a few MB of memory). The defaults make a tiny model (about 0.5 MB). --size
chooses the dimensions of a Mistral-shaped model of at least that size (dim 4096,
32 heads, 8 kv heads, hidden 14336, vocab 32768 from about 1 GB; narrower below)
and its number of layers; with --layout hf --shard-size every shard is written
at once on one pool of generator workers.

  ckpt synth model big --size 10GiB --layout hf --shard-size 2GiB --seed 1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if size != "" {
				if err := sizedModel(cmd, &o, size); err != nil {
					return err
				}
			}
			return synthModelRun(cmd.Context(), stdio, o, layout, shard, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&layout, "layout", "native", "native (params.json + consolidated.safetensors) or hf (config.json + model*.safetensors)")
	fl.IntVar(&o.Dim, "dim", 64, "model dimension")
	fl.IntVar(&o.Layers, "layers", 2, "number of layers")
	fl.IntVar(&o.Heads, "heads", 4, "attention heads")
	fl.IntVar(&o.KVHeads, "kv-heads", 2, "key/value heads")
	fl.IntVar(&o.Hidden, "hidden", 128, "feed-forward hidden dimension")
	fl.IntVar(&o.Vocab, "vocab", 1280, "vocabulary size (tekken default_vocab_size; at least 276)")
	fl.IntVar(&o.HeadDim, "head-dim", 0, "head dimension (default dim/heads)")
	fl.StringVar(&o.DType, "dtype", "bf16", "bf16, fp16 or fp32")
	fl.Uint64Var(&o.Seed, "seed", 0, "random seed")
	fl.StringVar(&shard, "shard-size", "", "hf: split weights into shards of at most this size (e.g. 2GB)")
	fl.StringVar(&size, "size", "", "choose dims and layers for weights of at least this size (e.g. 10GiB); excludes --dim, --layers, --heads, --kv-heads, --hidden, --vocab, --head-dim")
	fl.BoolVar(&o.Vision, "vision", false, "add a small Pixtral vision encoder: tensors, tekken image section, params.json vision_encoder (native) or a Mistral 3 config.json and processor_config.json (hf)")
	return cmd
}

// sizedModel replaces o's dimensions by those of a model of at least size.
func sizedModel(cmd *cobra.Command, o *synth.ModelOptions, size string) error {
	for _, f := range []string{"dim", "layers", "heads", "kv-heads", "hidden", "vocab", "head-dim"} {
		if cmd.Flags().Changed(f) {
			return usagef("--size chooses the dimensions: drop --%s", f)
		}
	}
	n, err := lora.ParseSize(size)
	if err != nil {
		return usagef("--size: %v", err)
	}
	s, err := synth.Sized(n, o.DType)
	if err != nil {
		return usagef("--size: %v", err)
	}
	s.Seed, s.Vision = o.Seed, o.Vision
	*o = s
	return nil
}

// synthModelRun writes the synthetic model into out.
func synthModelRun(ctx context.Context, stdio *IO, o synth.ModelOptions, layout, shard, out string) error {
	f, err := parseLayout(layout)
	if err != nil {
		return err
	}
	o.Layout = f
	if o.ShardSize, err = lora.ParseSize(shard); err != nil {
		return usagef("--shard-size: %v", err)
	}
	start := time.Now()
	if err := synth.Model(ctx, out, o); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "wrote %s model to %s in %s\n", f, out, time.Since(start).Round(time.Millisecond))
	return nil
}

func parseLayout(s string) (mistral.Format, error) {
	switch s {
	case "native", "mistral":
		return mistral.FormatNative, nil
	case "hf":
		return mistral.FormatHF, nil
	}
	return "", usagef("--layout %q: want native or hf", s)
}

func newSynthAdapterCmd(stdio *IO) *cobra.Command {
	var o synth.AdapterOptions
	var format, basis, targets string
	cmd := &cobra.Command{
		Use:   "adapter OUT --base DIR",
		Short: "Write a synthetic LoRA adapter (PEFT or mistral-finetune) for a base model",
		Long: `Write a random LoRA adapter for the base model in --base: PEFT (adapter_config.json +
adapter_model.safetensors) or mistral-finetune (params.json with a lora block +
lora.safetensors). Defaults: rank 8, alpha 2·rank (scaling 2.0), every linear layer,
basis hf for peft and native for mistral-finetune. With the same --seed, adapters of
both formats and bases describe the same update.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Base == "" {
				return usagef("--base is required")
			}
			o.Format, o.Basis = peft.Format(format), mistral.Basis(basis)
			if targets != "" {
				o.Targets = strings.Split(targets, ",")
			}
			if err := synth.Adapter(cmd.Context(), args[0], o); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "wrote %s adapter to %s\n", format, args[0])
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Base, "base", "", "base model folder (required)")
	fl.StringVar(&format, "format", "peft", "peft or mistral-finetune")
	fl.IntVar(&o.Rank, "rank", 8, "LoRA rank r")
	fl.Float64Var(&o.Alpha, "alpha", 0, "lora_alpha (default 2·rank; mistral-finetune scaling = alpha/rank)")
	fl.StringVar(&targets, "targets", strings.Join(synth.AllTargets(), ","), "native linear layers to adapt")
	fl.BoolVar(&o.RSLoRA, "rslora", false, "use_rslora: scale alpha/√r (peft only)")
	fl.StringVar(&basis, "basis", "", "q/k basis of lora_B: hf or native (default: the format's)")
	fl.StringVar(&o.DType, "dtype", "", "lora dtype (default: the base's)")
	fl.Uint64Var(&o.Seed, "seed", 0, "random seed")
	return cmd
}

// newSynthMergeCmd is a hidden developer command that runs the merge engine
// without the build engine (bench/merge.sh).
func newSynthMergeCmd(stdio *IO) *cobra.Command {
	var o lora.Options
	var adapters []string
	var shard string
	cmd := &cobra.Command{
		Use:    "merge OUT --base DIR --adapter DIR[:FORMAT[:WEIGHT[:BASIS]]]...",
		Short:  "Merge LoRA adapters into a base directly (developer tool, for benchmarks)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return synthMergeRun(cmd.Context(), stdio, o, adapters, shard, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Base, "base", "", "base model folder")
	fl.StringArrayVar(&adapters, "adapter", nil, "adapter folder, optionally :peft|mistral-finetune:weight:hf|native")
	fl.StringVar(&o.DType, "dtype", "", "output dtype (default: keep)")
	fl.StringVar(&shard, "shard-size", "", "hf shard size (default 5GB)")
	fl.IntVar(&o.Workers, "workers", 0, "tensors processed at once (default GOMAXPROCS)")
	return cmd
}

// synthMergeRun merges the --adapter flags' adapters into out.
func synthMergeRun(ctx context.Context, stdio *IO, o lora.Options, adapters []string, shard, out string) error {
	for _, a := range adapters {
		in, err := parseAdapterFlag(a)
		if err != nil {
			return err
		}
		o.Adapters = append(o.Adapters, in)
	}
	var err error
	if o.ShardSize, err = lora.ParseSize(shard); err != nil {
		return usagef("--shard-size: %v", err)
	}
	o.Out = out
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	start := time.Now()
	if err := lora.Merge(ctx, o); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "merged into %s in %s\n", o.Out, time.Since(start).Round(time.Millisecond))
	return nil
}

func parseAdapterFlag(s string) (lora.AdapterInput, error) {
	parts := strings.Split(s, ":")
	in := lora.AdapterInput{Dir: parts[0], Format: peft.FormatPEFT, Weight: 1}
	if len(parts) > 1 && parts[1] != "" {
		in.Format = peft.Format(parts[1])
	}
	if len(parts) > 2 && parts[2] != "" {
		w, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			return in, usagef("--adapter %s: weight: %v", s, err)
		}
		in.Weight = w
	}
	if len(parts) > 3 {
		in.Basis = mistral.Basis(parts[3])
	}
	return in, nil
}
