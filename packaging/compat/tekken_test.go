package compat_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

func TestParseTekken(t *testing.T) {
	data, err := json.Marshal(tekkenJSON())
	if err != nil {
		t.Fatal(err)
	}
	tk, err := compat.ParseTekken(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Vocab) != 280 || len(tk.SpecialTokens) != 20 || tk.Config.Version != "v7" {
		t.Fatalf("parsed %d vocab, %d specials, %s", len(tk.Vocab), len(tk.SpecialTokens), tk.Config.Version)
	}
	for name, want := range map[string]int{"<unk>": 0, "<s>": 1, "</s>": 2, "[IMG]": 10, "<pad>": 11} {
		if id, ok := tk.SpecialID(name); !ok || id != want {
			t.Errorf("SpecialID(%s) = %d, %v; want %d", name, id, ok, want)
		}
	}
	if _, ok := tk.SpecialID("[ARGS]"); ok {
		t.Error("[ARGS] found in a v7 file")
	}
}

// TestTekkenDeprecatedSpecials: a v3/v7 file without special_tokens uses
// the deprecated 20 tokens (formats.md §3.1).
func TestTekkenDeprecatedSpecials(t *testing.T) {
	m := tekkenJSON()
	delete(m, "special_tokens")
	m["config"].(map[string]any)["version"] = "v3"
	data, _ := json.Marshal(m)
	tk, err := compat.ParseTekken(data)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := tk.SpecialID("[IMG_END]"); !ok || id != 13 {
		t.Errorf("[IMG_END] = %d, %v; want 13", id, ok)
	}
	dir := nativeModel(t)
	writeJSON(t, filepath.Join(dir, "tekken.json"), m)
	versionTemplate(t, dir)
	fs, err := compat.Check(t.Context(), dir, compat.Options{})
	if err != nil || len(fs) != 0 {
		t.Errorf("v3 tekken without special_tokens: %v%s", err, dump(fs))
	}
}

func TestParseTekkenErrors(t *testing.T) {
	for name, in := range map[string]string{
		"not json":     `{"config":`,
		"no config":    `{"vocab": []}`,
		"config types": `{"config": {"version": 7}}`,
		"vocab type":   `{"config": {}, "vocab": {}}`,
		"not object":   `[]`,
	} {
		if _, err := compat.ParseTekken([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestTekkenMalformedIsFinding: a broken tekken.json is a finding, not an
// error of Check.
func TestTekkenMalformedIsFinding(t *testing.T) {
	dir := nativeModel(t)
	writeText(t, filepath.Join(dir, "tekken.json"), `{"config": {"version": "v7"}, "vocab": [`)
	fs, err := compat.Check(t.Context(), dir, compat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(fs); len(got) != 1 || got[0] != "files.malformed" || fs[0].File != "tekken.json" {
		t.Errorf("findings:%s", dump(fs))
	}
}

// TestTekkenEntryErrors: bad base64 and missing keys are vocab_keys.
func TestTekkenEntryErrors(t *testing.T) {
	m := tekkenJSON()
	v := m["vocab"].([]any)
	v[270].(map[string]any)["token_bytes"] = "!!not base64"
	delete(v[271].(map[string]any), "token_str")
	dir := nativeModel(t)
	writeJSON(t, filepath.Join(dir, "tekken.json"), m)
	fs, err := compat.Check(t.Context(), dir, compat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(fs); len(got) != 1 || got[0] != "tekken.vocab_keys" || len(fs) != 2 {
		t.Errorf("findings:%s", dump(fs))
	}
	for _, f := range fs {
		if f.Path != "vocab[270]" && f.Path != "vocab[271]" {
			t.Errorf("path %q", f.Path)
		}
	}
}

func FuzzTekken(f *testing.F) {
	data, _ := json.Marshal(tekkenJSON())
	f.Add(data)
	f.Add([]byte(`{"config":{"version":"v11","default_vocab_size":2,"default_num_special_tokens":1},"vocab":[{"rank":0,"token_bytes":"AA==","token_str":null}],"multimodal":{}}`))
	f.Add([]byte(`{"config":{"default_vocab_size":-5,"default_num_special_tokens":-9},"vocab":[1,"x",null]}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "tekken.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if tk, err := compat.ParseTekken(data); err == nil {
			tk.Specials()
		}
		fs, err := compat.Check(t.Context(), dir, compat.Options{Profiles: []string{"vllm-mistral"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Code == "check.internal" {
				t.Fatalf("crash: %s", f.Message)
			}
		}
	})
}
