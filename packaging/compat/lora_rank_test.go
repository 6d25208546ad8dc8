package compat_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

// TestLoRALimits: vLLM's rank limits (--max-lora-rank one of 1..512,
// default 16) and target_modules, in ckpt check and in CheckAdapter alike.
func TestLoRALimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  map[string]any
		want string // code, or "" for no finding
		msg  string
	}{
		{"r=8", map[string]any{"r": 8}, "", ""},
		{"r=16", map[string]any{"r": 16}, "", ""},
		{"r=17", map[string]any{"r": 17}, "lora.max_lora_rank", "--max-lora-rank 32"},
		{"r=300", map[string]any{"r": 300}, "lora.max_lora_rank", "--max-lora-rank 320"},
		{"r=512", map[string]any{"r": 512}, "lora.max_lora_rank", "--max-lora-rank 512"},
		{"r=513", map[string]any{"r": 513}, "lora.rank", "above 512"},
		{"r=10^12", map[string]any{"r": 1e12}, "lora.rank", "rank 1000000000000 is above 512"},
		{"r=0", map[string]any{"r": 0}, "lora.rank", "positive integer"},
		{"r=2.5", map[string]any{"r": 2.5}, "lora.rank", "positive integer"},
		{"rank_pattern", map[string]any{"rank_pattern": map[string]any{"q_proj": 1024}}, "lora.rank", "rank 1024"},
		{"targets empty", map[string]any{"target_modules": []any{}}, "lora.target_modules", "empty"},
		{"targets empty regex", map[string]any{"target_modules": ""}, "lora.target_modules", "empty string"},
		{"targets number", map[string]any{"target_modules": 3}, "lora.target_modules", "list or a regex"},
		{"targets null", map[string]any{"target_modules": nil}, "lora.target_modules", "missing"},
		{"targets regex", map[string]any{"target_modules": ".*proj"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := synthPEFT(t)
			p := filepath.Join(dir, "adapter_config.json")
			b, _ := os.ReadFile(p)
			var m map[string]any
			json.Unmarshal(b, &m)
			for k, v := range tc.set {
				m[k] = v
			}
			b, _ = json.Marshal(m)
			os.WriteFile(p, b, 0o644)
			check, err := compat.Check(t.Context(), dir, compat.Options{Profiles: []string{"vllm-lora"}})
			if err != nil {
				t.Fatal(err)
			}
			build, err := compat.CheckAdapter(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if dump(check) != dump(build) {
				t.Errorf("check and build differ:%s\nvs%s", dump(check), dump(build))
			}
			got := strings.Join(codes(check), ",")
			if got != tc.want || (tc.msg != "" && !strings.Contains(dump(check), tc.msg)) {
				t.Errorf("findings %q, want %s mentioning %q:%s", got, tc.want, tc.msg, dump(check))
			}
		})
	}
}
