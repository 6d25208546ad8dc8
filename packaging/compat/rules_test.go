package compat_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/packaging/synth/breaks"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func codes(fs []specv1.Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if !seen[f.Code] {
			seen[f.Code] = true
			out = append(out, f.Code)
		}
	}
	sort.Strings(out)
	return out
}

func dump(fs []specv1.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  " + f.Severity + " " + f.Code + " " + f.File + " " + f.Path + ": " + f.Message)
	}
	return b.String()
}

// TestCleanModelsPass: clean native and HF folders pass every profile they
// claim, and the claims are what the layout implies.
func TestCleanModelsPass(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dir    string
		claims string
	}{
		{"native", nativeModel(t), "vllm-mistral,mistral-inference"},
		{"hf", hfModel(t), "transformers"},
		{"synth-native", synthNative(t), "vllm-mistral,mistral-inference"},
		{"synth-hf", synthHF(t), "transformers"},
		{"synth-peft", synthPEFT(t), "vllm-lora"},
		// vLLM cannot serve a mistral-finetune adapter: one warning says so.
		{"synth-mistral-finetune", synthAdapter(t, peft.FormatMistralFinetune), "vllm-lora"},
		{"synth-hf-sharded", synthModel(t, synth.ModelOptions{Layout: mistral.FormatHF, ShardSize: 100_000}), "transformers"},
		{"synth-fp32-wide", synthModel(t, synth.ModelOptions{Dim: 96, Heads: 6, KVHeads: 2, Vocab: 2048, DType: "fp32"}), "vllm-mistral,mistral-inference"},
		{"synth-vision", synthModel(t, synth.ModelOptions{Vision: true}), "vllm-mistral,mistral-inference"},
		{"synth-hf-vision", synthModel(t, synth.ModelOptions{Vision: true, Layout: mistral.FormatHF}), "transformers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := compat.Claims(tc.dir)
			if err != nil || strings.Join(claims, ",") != tc.claims {
				t.Fatalf("Claims = %v, %v; want %s", claims, err, tc.claims)
			}
			fs, err := compat.Check(t.Context(), tc.dir, compat.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 0 && !(tc.name == "synth-mistral-finetune" && len(fs) == 1 && fs[0].Code == "lora.format") {
				t.Errorf("clean %s model has findings:%s", tc.name, dump(fs))
			}
		})
	}
}

// TestEveryRuleFires breaks a clean model for each rule and requires that
// exactly that rule fires; the clean model (TestCleanModelsPass) is every
// rule's passing case.
func TestEveryRuleFires(t *testing.T) {
	shown := map[compat.Code]bool{}
	for _, layout := range []struct {
		name string
		make func(testing.TB) string
	}{{"native", nativeModel}, {"hf", hfModel}, {"synth-native", synthNative}, {"synth-hf", synthHF}, {"synth-peft", synthPEFT}} {
		for _, code := range breaks.Codes() {
			t.Run(layout.name+"/"+string(code), func(t *testing.T) {
				dir := layout.make(t)
				before, _, _ := chatfmt.DetectVersion(dir)
				opts, err := breaks.Apply(t.Context(), dir, code)
				if errors.Is(err, breaks.ErrLayout) {
					t.Skipf("not on this layout: %v", err)
				}
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				shown[code] = true
				fs, err := compat.Check(t.Context(), dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				if after, _, _ := chatfmt.DetectVersion(dir); after != before && code != compat.TemplateCanonical {
					// A break that changes the tokenizer version makes the
					// shipped template another version's: that fires too.
					fs = without(fs, compat.TemplateCanonical)
				}
				if got := codes(fs); len(got) != 1 || got[0] != string(code) {
					t.Errorf("codes %v, want only %s:%s", got, code, dump(fs))
				}
				for _, f := range fs {
					if f.Message == "" || f.Severity == "" {
						t.Errorf("finding without message or severity: %+v", f)
					}
				}
			})
		}
	}
	for _, code := range breaks.Codes() {
		if !shown[code] {
			t.Errorf("rule %s fires on no layout", code)
		}
	}
}

// without drops the findings of one rule.
func without(fs []specv1.Finding, code compat.Code) []specv1.Finding {
	var out []specv1.Finding
	for _, f := range fs {
		if f.Code != string(code) {
			out = append(out, f)
		}
	}
	return out
}

// synthModel writes a model with ckpt synth (packaging/synth).
func synthModel(t testing.TB, o synth.ModelOptions) string {
	t.Helper()
	dir := t.TempDir()
	if err := synth.Model(t.Context(), dir, o); err != nil {
		t.Fatal(err)
	}
	return dir
}

func synthNative(t testing.TB) string { return synthModel(t, synth.ModelOptions{}) }

func synthHF(t testing.TB) string { return synthModel(t, synth.ModelOptions{Layout: mistral.FormatHF}) }

// synthAdapter writes a synthetic adapter for a synthetic native base.
func synthAdapter(t testing.TB, f peft.Format) string {
	t.Helper()
	dir := t.TempDir()
	if err := synth.Adapter(t.Context(), dir, synth.AdapterOptions{Base: synthNative(t), Format: f}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func synthPEFT(t testing.TB) string { return synthAdapter(t, peft.FormatPEFT) }

// TestSynthVisionRulesFire: the vision rules read a synthesized vision
// model: an image token id that is not [IMG] and a tekken patch size that
// disagrees with the encoder are each reported.
func TestSynthVisionRulesFire(t *testing.T) {
	for code, edit := range map[string][2]string{
		"vision.token_id":    {"params.json", `"image_token_id": 10`},
		"vision.patch_size":  {"tekken.json", `"image_patch_size":16`},
		"hf/vision.token_id": {"config.json", `"image_token_index": 10`},
	} {
		t.Run(code, func(t *testing.T) {
			o := synth.ModelOptions{Vision: true}
			if strings.HasPrefix(code, "hf/") {
				o.Layout, code = mistral.FormatHF, strings.TrimPrefix(code, "hf/")
			}
			dir := synthModel(t, o)
			p := filepath.Join(dir, edit[0])
			b, _ := os.ReadFile(p)
			broken := strings.Replace(string(b), edit[1], strings.Replace(edit[1], "16", "8", 1), 1)
			if code == "vision.token_id" {
				broken = strings.Replace(string(b), edit[1], strings.Replace(edit[1], "10", "11", 1), 1)
			}
			if broken == string(b) {
				t.Fatalf("%s has no %s", edit[0], edit[1])
			}
			os.WriteFile(p, []byte(broken), 0o644)
			fs, err := compat.Check(t.Context(), dir, compat.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := codes(fs); !slices.Contains(got, code) {
				t.Fatalf("findings %v, want %s%s", got, code, dump(fs))
			}
		})
	}
}
