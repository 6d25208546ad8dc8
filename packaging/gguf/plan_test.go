package gguf

import "testing"

// TestQ4KMRecipe pins llama-quant.cpp's Q4_K_M choices for a 32-layer
// model (use_more_bits: layers 0–3, 28–31 and every third from 6).
func TestQ4KMRecipe(t *testing.T) {
	cases := []struct {
		role        string
		cols        int64
		layer       int
		tied        bool
		want        Type
		description string
	}{
		{"output", 4096, -1, false, Q6_K, "output"},
		{"output", 4000, -1, false, Q8_0, "output row not a multiple of 256"},
		{"token_embd", 4096, -1, false, Q4_K, "untied embeddings"},
		{"token_embd", 4096, -1, true, Q6_K, "tied embeddings take the output's type"},
		{"attn_v", 4096, 0, false, Q6_K, "first eighth"},
		{"attn_v", 4096, 4, false, Q4_K, "middle"},
		{"attn_v", 4096, 6, false, Q6_K, "(6-4)%3 == 2"},
		{"attn_v", 4096, 28, false, Q6_K, "last eighth"},
		{"ffn_down", 14336, 9, false, Q6_K, "(9-4)%3 == 2"},
		{"ffn_down", 14336, 10, false, Q4_K, "middle"},
		{"attn_q", 4096, 0, false, Q4_K, "q is never promoted"},
		{"ffn_up", 4000, 5, false, Q5_0, "Q4_K falls back to Q5_0"},
		{"attn_v", 4000, 0, false, Q8_0, "Q6_K falls back to Q8_0"},
		{"ffn_gate", 100, 5, false, F16, "not even a multiple of 32"},
	}
	for _, c := range cases {
		if got := FileQ4_KM.tensorType(c.role, c.cols, c.layer, 32, c.tied); got != c.want {
			t.Errorf("%s (%s): %s, want %s", c.role, c.description, got, c.want)
		}
	}
	if got := FileQ8_0.tensorType("output", 100, -1, 32, false); got != F16 {
		t.Errorf("Q8_0 of a 100-column row: %s, want F16", got)
	}
}

func TestRoundInt(t *testing.T) {
	for in, want := range map[float32]int32{0.49999997: 0, 0.5: 1, -0.5: -1, 1.5: 2, 2.5: 3, -2.5: -3, 126.99999: 127, -127: -127} {
		if got := roundInt(in); got != want {
			t.Errorf("roundInt(%v) = %d, want %d", in, got, want)
		}
	}
}
