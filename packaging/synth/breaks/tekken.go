package breaks

import (
	"fmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
	"strings"
)

// tekkenBreaks returns the mutations of tekken.json, one per rule.
func tekkenBreaks() map[compat.Code]func(*target) error {
	cfg := func(key string, v any) func(*target) error {
		return func(t *target) error {
			return t.editTekken(func(m map[string]any) error { subObj(m, "config")[key] = v; return nil })
		}
	}
	return map[compat.Code]func(*target) error{
		compat.TekkenVersion: cfg("version", "v5"),
		compat.TekkenPattern: cfg("pattern", ""),
		compat.TekkenSpecialMissing: func(t *target) error {
			return t.editTekken(func(m map[string]any) error {
				subObj(m, "config")["version"] = "v11"
				delete(m, "special_tokens")
				return nil
			})
		},
		compat.TekkenMultimodal: func(t *target) error {
			return t.editSpecials(func(sp []map[string]any, m map[string]any) error {
				subObj(m, "config")["version"] = "v13"
				addSpecials(m, sp, "[ARGS]", "[CALL_ID]")
				m["multimodal"] = map[string]any{"image_patch_size": 16, "max_image_size": 64, "spatial_merge_size": 1}
				delete(m, "image")
				return nil
			})
		},
		compat.TekkenModelSettings: func(t *target) error {
			return t.editTekken(func(m map[string]any) error {
				m["model_settings_builder"] = map[string]any{}
				return nil
			})
		},
		compat.TekkenVocabSize: func(t *target) error {
			return t.editVocab(func(v []map[string]any, m map[string]any) error {
				l := m["vocab"].([]any)
				m["vocab"] = l[:lastUsed(m, len(l))]
				return nil
			})
		},
		compat.TekkenSpecialDuplicate: func(t *target) error { return t.renameSpecial("[MIDDLE]", "[PREFIX]") },
		compat.TekkenSpecialCount: func(t *target) error {
			return t.editSpecials(func(sp []map[string]any, m map[string]any) error {
				c := subObj(m, "config")
				n, _ := c["default_num_special_tokens"].(float64)
				l := m["special_tokens"].([]any)
				for len(l) <= int(n) {
					l = append(l, map[string]any{"rank": len(l), "token_str": fmt.Sprintf("<SPECIAL_%d>", len(l)), "is_control": true})
				}
				m["special_tokens"] = l
				return nil
			})
		},
		compat.TekkenSpecialRank: func(t *target) error {
			return t.editSpecials(func(sp []map[string]any, _ map[string]any) error {
				if len(sp) < 17 {
					return fmt.Errorf("only %d special tokens", len(sp))
				}
				sp[15]["rank"], sp[16]["rank"] = 16, 15
				return nil
			})
		},
		compat.TekkenVocabKeys: func(t *target) error {
			return t.editVocab(func(v []map[string]any, m map[string]any) error {
				v[lastUsed(m, len(v))]["score"] = 0
				return nil
			})
		},
		compat.TekkenVocabRank: func(t *target) error {
			return t.editVocab(func(v []map[string]any, m map[string]any) error {
				i := lastUsed(m, len(v))
				v[i]["rank"] = i + 1
				return nil
			})
		},
		compat.TekkenByteTokens: func(t *target) error {
			return t.editVocab(func(v []map[string]any, _ map[string]any) error {
				v[65]["token_bytes"] = b64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
				return nil
			})
		},
		compat.TekkenDuplicateBytes: func(t *target) error {
			return t.editVocab(func(v []map[string]any, m map[string]any) error {
				i := lastUsed(m, len(v))
				v[i]["token_bytes"] = v[i-1]["token_bytes"]
				return nil
			})
		},
	}
}

// addSpecials adds special tokens the file lacks, taking the place of
// filler <SPECIAL_i> entries when there are some.
func addSpecials(m map[string]any, sp []map[string]any, names ...string) {
	have := map[string]bool{}
	for _, s := range sp {
		have[fmt.Sprint(s["token_str"])] = true
	}
	l := m["special_tokens"].([]any)
	for _, name := range names {
		if have[name] {
			continue
		}
		placed := false
		for _, s := range sp {
			if str := fmt.Sprint(s["token_str"]); strings.HasPrefix(str, "<SPECIAL_") {
				s["token_str"], placed = name, true
				break
			}
		}
		if !placed {
			l = append(l, map[string]any{"rank": len(l), "token_str": name, "is_control": true})
		}
	}
	m["special_tokens"] = l
}
