package compat_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

// BenchmarkCheckNative checks a clean tiny native model (all rules of both
// mistral profiles, templates rendered).
func BenchmarkCheckNative(b *testing.B) {
	dir := nativeModel(b)
	for b.Loop() {
		if _, err := compat.Check(b.Context(), dir, compat.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTekkenFullSize parses and validates a tekken.json with the real
// files' sizes (150,000 vocab entries, 131,072 vocab).
func BenchmarkTekkenFullSize(b *testing.B) {
	m := tekkenJSON()
	v := m["vocab"].([]any)
	for i := len(v); i < 150000; i++ {
		v = append(v, map[string]any{"rank": i, "token_bytes": b64bytes(i), "token_str": nil})
	}
	m["vocab"] = v
	c := m["config"].(map[string]any)
	c["default_vocab_size"], c["num_vocab_tokens"] = 131072, 150000
	data, _ := json.Marshal(m)
	dir := b.TempDir()
	if err := os.WriteFile(dir+"/tekken.json", data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		fs, err := compat.Check(b.Context(), dir, compat.Options{Profiles: []string{"vllm-mistral"}})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range fs {
			if f.File == "tekken.json" {
				b.Fatalf("finding on a valid tekken: %+v", f)
			}
		}
	}
}

// b64bytes returns base64 of a unique 3-byte string for merge rank i.
func b64bytes(i int) string {
	return base64Std([]byte{byte(i >> 16), byte(i >> 8), byte(i), 'x'})
}
