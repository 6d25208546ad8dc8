package compat_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

func TestCheckErrors(t *testing.T) {
	if _, err := compat.Check(t.Context(), filepath.Join(t.TempDir(), "absent"), compat.Options{}); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("absent folder: %v", err)
	}
	if _, err := compat.Check(t.Context(), t.TempDir(), compat.Options{Profiles: []string{"tgi"}}); err == nil || !strings.Contains(err.Error(), "tgi") {
		t.Errorf("unknown profile: %v", err)
	}
	fs, err := compat.Check(t.Context(), t.TempDir(), compat.Options{})
	if err != nil || len(fs) != 1 || fs[0].Code != "files.missing" {
		t.Errorf("empty folder: %v%s", err, dump(fs))
	}
}

// TestEmptyFolderEveryProfile: every profile on an empty folder names the
// files it needs, and nothing crashes.
func TestEmptyFolderEveryProfile(t *testing.T) {
	fs, err := compat.Check(t.Context(), t.TempDir(), compat.Options{Profiles: compat.ProfileNames()})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, f := range fs {
		if f.Code != "files.missing" && f.Code != "template.missing" {
			t.Errorf("unexpected %s", f.Code)
		}
		files[f.File] = true
	}
	for _, want := range []string{"params.json", "consolidated.safetensors", "tekken.json", "config.json", "model.safetensors", "generation_config.json"} {
		if !files[want] {
			t.Errorf("no files.missing for %s:%s", want, dump(fs))
		}
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := compat.Check(ctx, nativeModel(t), compat.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled check: %v", err)
	}
}

// TestModelCardBaseModels: base_model as a string and as a YAML list.
func TestModelCardBaseModels(t *testing.T) {
	dir := nativeModel(t)
	writeText(t, filepath.Join(dir, "README.md"), "---\nlicense: apache-2.0\nbase_model:\n  - mistralai/Mistral-Large-latest\n  - \"codestral-2501\"\ntags: [x]\n---\nbase_model: not-front-matter-latest\n")
	fs, err := compat.Check(t.Context(), dir, compat.Options{IDs: []string{"mistral-small-2501"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(codes(fs), ","); got != "id.latest,id.retired" || len(fs) != 2 {
		t.Errorf("codes %s:%s", got, dump(fs))
	}
	for _, f := range fs {
		if f.Code == "id.retired" && !strings.Contains(f.Message, "2025-11-30") {
			t.Errorf("retirement without its date: %s", f.Message)
		}
	}
}

// TestTemplateList: tokenizer_config.json's list of named templates; the
// default one is compared with chat_template.jinja.
func TestTemplateList(t *testing.T) {
	dir := hfModel(t)
	tmpl, _ := os.ReadFile(filepath.Join(dir, "chat_template.jinja"))
	writeJSON(t, filepath.Join(dir, "tokenizer_config.json"), map[string]any{"bos_token": "<s>", "eos_token": "</s>",
		"chat_template": []any{map[string]any{"name": "default", "template": string(tmpl)}, map[string]any{"name": "tool_use", "template": "{{ x"}}})
	fs, err := compat.Check(t.Context(), dir, compat.Options{})
	if err != nil || len(fs) != 0 {
		t.Errorf("%v%s", err, dump(fs))
	}
}

func TestRenderTemplateErrors(t *testing.T) {
	vars := compat.DefaultVars()
	for name, tc := range map[string]struct{ src, conv string }{
		"compile":      {"{% for %}", `{"messages": []}`},
		"conversation": {"{{ messages }}", `{"messages": [`},
		"not object":   {"{{ messages }}", `[]`},
		"trailing":     {"{{ messages }}", `{} {}`},
	} {
		if _, err := compat.RenderTemplate(tc.src, []byte(tc.conv), vars); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	out, err := compat.RenderTemplate(`{{ bos_token }}{{ tools | tojson }}`, []byte(`{"tools": [{"z": 1, "a": "é<&>"}]}`), vars)
	if err != nil || out != `<s>[{"z": 1, "a": "é<&>"}]` {
		t.Errorf("tojson keeps key order and does not escape: %q, %v", out, err)
	}
}

// TestTemplateGuards: recursive macros are refused (the renderer has no
// recursion limit) and range() has the Jinja2 sandbox's limit.
func TestTemplateGuards(t *testing.T) {
	vars := compat.DefaultVars()
	conv := []byte(`{"messages": [{"role": "user", "content": "hi"}]}`)
	for _, src := range []string{
		`{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}`,
		`{%- macro a(x) -%}{{ b(x) }}{%- endmacro -%}{%- macro b(x) -%}{{ a (x) }}{%- endmacro -%}{{ a(1) }}`,
	} {
		var unsafe *compat.UnsafeTemplateError
		if _, err := compat.RenderTemplate(src, conv, vars); !errors.As(err, &unsafe) {
			t.Errorf("%s: %v", src, err)
		}
	}
	if _, err := compat.RenderTemplate(`{% for i in range(1000000) %}{{ i }}{% endfor %}`, conv, vars); err == nil || !strings.Contains(err.Error(), "Range too big") {
		t.Errorf("big range: %v", err)
	}
	out, err := compat.RenderTemplate(`{% macro g(x) %}<{{ x }}>{% endmacro %}{% for i in range(3, 0, -1) %}{{ g(i) }}{% endfor %}`, conv, vars)
	if err != nil || out != "<3><2><1>" {
		t.Errorf("macro and range: %q, %v", out, err)
	}
}

func FuzzRenderTemplate(f *testing.F) {
	for _, s := range []string{tinyTemplate, `{% set ns = namespace(a=[]) %}{% for m in messages %}{{ m | tojson(indent=2) }}{% endfor %}`,
		`{{ raise_exception('x') }}`, `{% macro m(a, b=2) %}{{ a ~ b }}{% endmacro %}{{ m(1)|upper }}`} {
		f.Add(s)
	}
	conv := []byte(compat.Conversations()[1].JSON)
	f.Fuzz(func(t *testing.T, src string) {
		_, _ = compat.RenderTemplate(src, conv, compat.DefaultVars())
	})
}

// TestHFTokenizerFiles: without tekken.json, EOS/BOS/PAD ids come from
// tokenizer.json's added_tokens and tokenizer_config.json's
// added_tokens_decoder.
func TestHFTokenizerFiles(t *testing.T) {
	setup := func(t *testing.T, eosID int, pad string) string {
		dir := hfModel(t)
		if err := os.Remove(filepath.Join(dir, "tekken.json")); err != nil {
			t.Fatal(err)
		}
		writeJSON(t, filepath.Join(dir, "tokenizer.json"), map[string]any{"version": "1.0", "added_tokens": []any{
			map[string]any{"id": 0, "content": "<unk>", "special": true}, map[string]any{"id": 1, "content": "<s>", "special": true},
			map[string]any{"id": eosID, "content": "</s>", "special": true}}, "model": map[string]any{"type": "BPE"}})
		cfg := map[string]any{"bos_token": "<s>", "eos_token": map[string]any{"content": "</s>", "special": true}, "unk_token": "<unk>"}
		if pad != "" {
			cfg["pad_token"] = pad
			cfg["added_tokens_decoder"] = map[string]any{"11": map[string]any{"content": "<pad>", "special": true}}
		}
		writeJSON(t, filepath.Join(dir, "tokenizer_config.json"), cfg)
		return dir
	}
	for _, tc := range []struct {
		name  string
		eos   int
		pad   string
		codes string
	}{
		{"clean", 2, "", ""},
		{"pad", 2, "<pad>", ""},
		{"pad is eos", 2, "</s>", "pad.equals_eos"},
		{"eos id differs", 3, "", "eos.mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := compat.Check(t.Context(), setup(t, tc.eos, tc.pad), compat.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(codes(fs), ","); got != tc.codes {
				t.Errorf("codes %q, want %q:%s", got, tc.codes, dump(fs))
			}
		})
	}
}

// TestCorruptWeights: an unreadable safetensors header is files.malformed,
// with or without a valid params.json.
func TestCorruptWeights(t *testing.T) {
	for _, params := range []string{tinyParams, `{"dim": 64}`} {
		dir := nativeModel(t)
		writeText(t, filepath.Join(dir, "params.json"), params)
		writeText(t, filepath.Join(dir, "consolidated.safetensors"), "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":")
		fs, err := compat.Check(t.Context(), dir, compat.Options{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range fs {
			found = found || f.Code == "files.malformed" && f.File == "consolidated.safetensors"
		}
		if !found {
			t.Errorf("params %s:%s", params, dump(fs))
		}
	}
}

// TestAdapterBaseModelID: a PEFT adapter's base_model_name_or_path is
// checked; a local path is not an id.
func TestAdapterBaseModelID(t *testing.T) {
	for base, want := range map[string]string{"mistralai/Codestral-2501": "id.retired", "/models/base": "", "mistralai/Mistral-7B-Instruct-v0.3": ""} {
		dir := synthPEFT(t)
		if err := editAdapterConfig(dir, "base_model_name_or_path", base); err != nil {
			t.Fatal(err)
		}
		fs, err := compat.Check(t.Context(), dir, compat.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(codes(fs), ","); got != want {
			t.Errorf("%s: codes %q, want %q:%s", base, got, want, dump(fs))
		}
	}
}

func editAdapterConfig(dir, key string, v any) error {
	data, err := os.ReadFile(filepath.Join(dir, "adapter_config.json"))
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	m[key] = v
	data, _ = json.Marshal(m)
	return os.WriteFile(filepath.Join(dir, "adapter_config.json"), data, 0o644)
}
