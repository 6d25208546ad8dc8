package peft

import "testing"

func FuzzConfig(f *testing.F) {
	f.Add([]byte(`{"peft_type":"LORA","r":16,"lora_alpha":32,"target_modules":["q_proj","v_proj"],"bias":"none"}`))
	f.Add([]byte(`{"peft_type":"LORA","r":8,"lora_alpha":8,"target_modules":".*\\.(q|k)_proj","rank_pattern":{"q_proj":4},"alpha_pattern":{"k_proj":2}}`))
	f.Add([]byte(`{"peft_type":"LORA","r":8,"lora_alpha":8,"target_modules":"all-linear","use_dora":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			return
		}
		tg, _ := c.targets()
		tg.matches("model.layers.0.self_attn.q_proj")
		if _, _, err := patternValue(c.RankPattern, "model.layers.0.self_attn.q_proj"); err != nil {
			return
		}
		if c.R <= 0 || !(c.LoraAlpha > 0) || c.UseDoRA || len(c.ModulesToSave) > 0 {
			t.Fatalf("accepted %+v", c)
		}
	})
}
