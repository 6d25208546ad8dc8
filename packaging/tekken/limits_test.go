package tekken_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/tekken"
)

// edit loads a trained tekken.json, changes it and parses it again.
func edit(t *testing.T, path string, change func(doc map[string]any)) (*tekken.Tokenizer, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	data, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return tekken.Parse(data)
}

func config(doc map[string]any) map[string]any { return doc["config"].(map[string]any) }

// TestVocabSizeLimit: only the first default_vocab_size − specials entries
// are used, as mistral-common truncates the vocabulary.
func TestVocabSizeLimit(t *testing.T) {
	path := train(t, 300, "v7", nil)
	full := load(t, path)
	small, err := edit(t, path, func(doc map[string]any) { config(doc)["default_vocab_size"] = 100 + 256 + 10 })
	if err != nil {
		t.Fatal(err)
	}
	if small.VocabSize() != 366 || full.VocabSize() != 656 {
		t.Fatalf("vocab sizes %d, %d", small.VocabSize(), full.VocabSize())
	}
	text := strings.Join(corpus, " ")
	ids := small.Encode(text)
	for _, id := range ids {
		if id >= 366 {
			t.Fatalf("id %d past the truncated vocabulary", id)
		}
	}
	if len(ids) <= len(full.Encode(text)) {
		t.Error("the truncated vocabulary encodes as short as the full one")
	}
	if b, _ := small.Decode(ids, false); string(b) != text {
		t.Error("truncated vocabulary does not round-trip")
	}
}

func TestParseRejects(t *testing.T) {
	path := train(t, 20, "v7", nil)
	for _, tc := range []struct {
		name   string
		change func(doc map[string]any)
		want   string
	}{
		{"vocab too small", func(doc map[string]any) { config(doc)["default_vocab_size"] = 100 + 276 + 1 }, "needs 277 vocab entries"},
		{"unknown version", func(doc map[string]any) { config(doc)["version"] = "v9" }, `unknown version "v9"`},
		{"v11 without specials", func(doc map[string]any) { config(doc)["version"] = "v11" }, "special_tokens missing"},
		{"too many specials", func(doc map[string]any) { config(doc)["default_num_special_tokens"] = 10 }, "20 special tokens"},
		{"rank out of place", func(doc map[string]any) {
			doc["vocab"].([]any)[270].(map[string]any)["rank"] = 7
		}, "has rank 7"},
		{"first 256 not bytes", func(doc map[string]any) {
			doc["vocab"].([]any)[65].(map[string]any)["token_bytes"] = "Qg=="
		}, "not the byte 65"},
		{"duplicate bytes", func(doc map[string]any) {
			v := doc["vocab"].([]any)
			v[270].(map[string]any)["token_bytes"] = v[271].(map[string]any)["token_bytes"]
		}, "repeats the bytes"},
		{"empty pattern", func(doc map[string]any) { config(doc)["pattern"] = "" }, "pattern is empty"},
		{"bad pattern", func(doc map[string]any) { config(doc)["pattern"] = "(" }, "config.pattern"},
		{"special rank", func(doc map[string]any) {
			doc["special_tokens"] = []any{map[string]any{"rank": 1, "token_str": "<s>"}}
		}, "has rank 1"},
		{"duplicate special", func(doc map[string]any) {
			doc["special_tokens"] = []any{map[string]any{"rank": 0, "token_str": "<s>"}, map[string]any{"rank": 1, "token_str": "<s>"}}
		}, "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := edit(t, path, tc.change)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := tekken.Load(path + ".missing"); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := tekken.Parse([]byte("{")); err == nil {
		t.Error("broken JSON: no error")
	}
}

// TestSpecialFiller: specials missing from the list are <SPECIAL_i>.
func TestSpecialFiller(t *testing.T) {
	tok := load(t, train(t, 20, "v11", []string{"<unk>", "<s>", "</s>", "[INST]"}))
	if id, err := tok.SpecialID("<SPECIAL_4>"); err != nil || id != 4 {
		t.Errorf("<SPECIAL_4> = %d, %v", id, err)
	}
	if tok.NumSpecial() != 100 || tok.Version() != "v11" {
		t.Errorf("specials %d, version %s", tok.NumSpecial(), tok.Version())
	}
}
