package breaks

import (
	"context"
	"errors"
	"fmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// target is the folder a break mutates, with its layout.
type target struct {
	dir     string
	native  bool // params.json + consolidated weights; else HF
	adapter bool // a LoRA adapter folder
	opts    compat.Options
}

func (t *target) path(name string) string { return filepath.Join(t.dir, name) }

func (t *target) has(name string) bool {
	_, err := os.Stat(t.path(name))
	return err == nil
}

// ErrLayout is returned by Apply for a rule the folder's layout cannot show.
var ErrLayout = errors.New("rule cannot be shown on this layout")

func (t *target) needNative() error {
	if !t.native {
		return fmt.Errorf("%w: synthesize a native model (ckpt synth model --layout native)", ErrLayout)
	}
	return nil
}

func (t *target) needHF() error {
	if t.native {
		return fmt.Errorf("%w: synthesize an HF model (ckpt synth model --layout hf)", ErrLayout)
	}
	return nil
}

// Codes returns the rule codes Apply can break, sorted.
func Codes() []compat.Code {
	var out []compat.Code
	for code := range breaks() {
		out = append(out, code)
	}
	slices.Sort(out)
	return out
}

// Apply mutates a synthesized model folder (ckpt synth model) so that the
// rule code fires, and returns the check options that show it (the
// profiles the folder claimed, plus a training template for
// template.train_mismatch). Vision rules first give a text model a small
// vision encoder.
func Apply(ctx context.Context, dir string, code compat.Code) (compat.Options, error) {
	fn, ok := breaks()[code]
	if !ok {
		return compat.Options{}, fmt.Errorf("breaks: no break for rule %q (see --list)", code)
	}
	if err := ctx.Err(); err != nil {
		return compat.Options{}, err
	}
	profiles, err := compat.Claims(dir)
	if err != nil {
		return compat.Options{}, err
	}
	if len(profiles) == 0 {
		return compat.Options{}, fmt.Errorf("breaks: %s is not a model folder (ckpt synth model makes one)", dir)
	}
	t := &target{dir: dir, opts: compat.Options{Profiles: profiles}}
	t.adapter = profiles[0] == "vllm-lora"
	t.native = profiles[0] != "transformers" && !t.adapter
	if err := t.applies(code); err != nil {
		return compat.Options{}, fmt.Errorf("breaks: break %s in %s: %w", code, dir, err)
	}
	if err := fn(t); err != nil {
		return compat.Options{}, fmt.Errorf("breaks: break %s in %s: %w", code, dir, err)
	}
	return t.opts, nil
}

// applies fails for a rule the folder's kind (model or adapter) cannot show.
func (t *target) applies(code compat.Code) error {
	lora := strings.HasPrefix(string(code), "lora.")
	switch {
	case lora && !t.adapter:
		return fmt.Errorf("%w: synthesize a PEFT adapter (ckpt synth adapter)", ErrLayout)
	case t.adapter && !lora && !adapterRules()[code]:
		return fmt.Errorf("%w: synthesize a model (ckpt synth model)", ErrLayout)
	}
	return nil
}

// adapterRules are the non-LoRA rules Apply can show on an adapter.
func adapterRules() map[compat.Code]bool {
	return map[compat.Code]bool{compat.FilesMissing: true, compat.FilesMalformed: true, compat.TemplateRender: true,
		compat.TemplateToolsUnsupported: true, compat.TemplateUnchecked: true, compat.IDLatest: true, compat.IDRetired: true}
}

// weightsFile returns the folder's single weights file.
func (t *target) weightsFile() string {
	if t.native {
		return t.path("consolidated.safetensors")
	}
	return t.path("model.safetensors")
}

// tokenizerFile returns the tekken file, failing when there is none.
func (t *target) tekken() (string, error) {
	if !t.has("tekken.json") {
		return "", fmt.Errorf("%w: no tekken.json", ErrLayout)
	}
	return "tekken.json", nil
}

// editTekken edits tekken.json.
func (t *target) editTekken(f func(m map[string]any) error) error {
	name, err := t.tekken()
	if err != nil {
		return err
	}
	return editJSON(t.dir, name, f)
}

// editSpecials edits tekken.json's special_tokens (written out first as
// the deprecated list when the file has none).
func (t *target) editSpecials(f func(sp []map[string]any, m map[string]any) error) error {
	return t.editTekken(func(m map[string]any) error {
		if _, ok := m["special_tokens"]; !ok {
			var l []any
			for i, s := range compat.DeprecatedSpecials() {
				l = append(l, map[string]any{"rank": i, "token_str": s, "is_control": true})
			}
			m["special_tokens"] = l
		}
		sp, err := objList(m, "special_tokens")
		if err != nil {
			return err
		}
		return f(sp, m)
	})
}

// renameSpecial renames a special token in tekken.json.
func (t *target) renameSpecial(from, to string) error {
	return t.editSpecials(func(sp []map[string]any, _ map[string]any) error {
		for _, s := range sp {
			if s["token_str"] == from {
				s["token_str"] = to
				return nil
			}
		}
		return fmt.Errorf("no special token %s", from)
	})
}

// editVocab edits tekken.json's vocab entries.
func (t *target) editVocab(f func(v []map[string]any, m map[string]any) error) error {
	return t.editTekken(func(m map[string]any) error {
		v, err := objList(m, "vocab")
		if err != nil {
			return err
		}
		if len(v) < 260 {
			return fmt.Errorf("vocab has %d entries, want at least 260", len(v))
		}
		return f(v, m)
	})
}

// lastUsed returns the index of the last vocab entry the tokenizer uses.
func lastUsed(m map[string]any, n int) int {
	c, _ := m["config"].(map[string]any)
	vs, _ := c["default_vocab_size"].(float64)
	ns, _ := c["default_num_special_tokens"].(float64)
	inner := int(vs - ns)
	if inner <= 0 || inner > n {
		inner = n
	}
	return inner - 1
}

func (t *target) generationConfig(key string, v any) error {
	return editJSON(t.dir, "generation_config.json", func(m map[string]any) error {
		m[key] = v
		return nil
	})
}
