package compat_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

// TestRealSentencePiece parses Mistral's real tokenizer files and checks
// the piece counts and special ids formats.md §3.2 lists.
func TestRealSentencePiece(t *testing.T) {
	dir := fixtures(t, "mistral-common", "tokenizers")
	for _, tc := range []struct {
		file   string
		pieces int
		ids    map[string]int
	}{
		{"tokenizer.model.v1", 32000, map[string]int{"<unk>": 0, "<s>": 1, "</s>": 2}},
		{"mistral_instruct_tokenizer_240216.model.v2", 32768, map[string]int{"[INST]": 3, "[/INST]": 4, "[TOOL_CALLS]": 5,
			"[AVAILABLE_TOOLS]": 6, "[/AVAILABLE_TOOLS]": 7, "[TOOL_RESULTS]": 8, "[/TOOL_RESULTS]": 9, "<0x00>": 771}},
		{"mistral_instruct_tokenizer_240323.model.v3", 32768, map[string]int{"[IMG]": 10, "[PREFIX]": 11, "[MIDDLE]": 12,
			"[SUFFIX]": 13, "[REFERENCE_DOC_0]": 770, "[REFERENCE_DOC_19]": 751}},
		{"mistral_instruct_tokenizer_241114.model.v7", 32768, map[string]int{"[IMG_BREAK]": 14, "[IMG_END]": 15,
			"[SYSTEM_PROMPT]": 16, "[/SYSTEM_PROMPT]": 17, "[TOOL_CONTENT]": 18, "[/REF]": 749, "[REF]": 750}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := compat.ParseSPM(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Pieces) != tc.pieces {
				t.Errorf("%d pieces, want %d", len(m.Pieces), tc.pieces)
			}
			if m.UnkID != 0 || m.BosID != 1 || m.EosID != 2 || m.PadID != -1 {
				t.Errorf("unk/bos/eos/pad = %d/%d/%d/%d, want 0/1/2/-1", m.UnkID, m.BosID, m.EosID, m.PadID)
			}
			for piece, id := range tc.ids {
				if got := m.ID(piece); got != id {
					t.Errorf("%s = %d, want %d", piece, got, id)
				}
			}
		})
	}
}

// spmModel writes a native model with a real SentencePiece tokenizer (a
// symlink to the shared fixture, named as) instead of tekken.json.
func spmModel(t *testing.T, tokenizer, as string) string {
	t.Helper()
	params := spmParams
	dir := nativeModelWith(t, params)
	if err := os.Remove(filepath.Join(dir, "tekken.json")); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Abs(filepath.Join(fixtures(t, "mistral-common", "tokenizers"), tokenizer))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(src, filepath.Join(dir, as)); err != nil {
		t.Fatal(err)
	}
	versionTemplate(t, dir)
	return dir
}

// TestRealTokenizerFolders: a native model (vocab 32768) with each real
// tokenizer passes, and a wrong pairing names the rule.
func TestRealTokenizerFolders(t *testing.T) {
	for _, tc := range []struct {
		file, as string
		want     string
	}{
		{"mistral_instruct_tokenizer_240323.model.v3", "tokenizer.model.v3", ""},
		{"mistral_instruct_tokenizer_241114.model.v7", "tokenizer.model.v7", ""},
		{"mistral_instruct_tokenizer_240216.model.v2", "tokenizer.model.v2", ""},
		// v1 has no tools: its template refuses a tool conversation.
		{"tokenizer.model.v1", "tokenizer.model.v1", "template.tools_unsupported,vocab.tokenizer"},
		{"mistral_instruct_tokenizer_240216.model.v2", "tokenizer.model.v7", "tokenizer.required_special"},
		{"mistral_instruct_tokenizer_240323.model.v3", "tokenizer.model.v5", "tokenizer.unrecognized"},
	} {
		t.Run(tc.as+"/"+tc.file, func(t *testing.T) {
			dir := spmModel(t, tc.file, tc.as)
			fs, err := compat.Check(t.Context(), dir, compat.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(codes(fs), ","); got != tc.want {
				t.Errorf("codes %q, want %q:%s", got, tc.want, dump(fs))
			}
		})
	}
}

func TestEncodeSPMRoundTrip(t *testing.T) {
	m, err := compat.ParseSPM(compat.EncodeSPM([]string{"<unk>", "<s>", "</s>", "[INST]", "▁a"}))
	if err != nil || len(m.Pieces) != 5 || m.ID("[INST]") != 3 || m.EosID != 2 || m.PadID != -1 {
		t.Fatalf("%+v, %v", m, err)
	}
	for _, bad := range [][]byte{{}, {0x0a}, {0x0a, 0x05, 0x0a}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} {
		if _, err := compat.ParseSPM(bad); err == nil {
			t.Errorf("%x parsed", bad)
		}
	}
}

func FuzzSPM(f *testing.F) {
	f.Add(compat.EncodeSPM([]string{"<unk>", "<s>", "</s>"}))
	f.Add([]byte{0x12, 0x02, 0xd0, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := compat.ParseSPM(data)
		if err == nil && len(m.Pieces) == 0 {
			t.Fatal("parsed without pieces")
		}
	})
}

// TestSPMImageTokenizer: a .model.v7m1 tokenizer carries mistral-common's
// fixed image config (patch 16, max 1024) for a vision encoder.
func TestSPMImageTokenizer(t *testing.T) {
	for _, tc := range []struct {
		patch int
		want  string
	}{{16, ""}, {14, "vision.patch_size"}} {
		params := spmParams
		params = strings.TrimSuffix(params, "}") + `,"vision_encoder":{"hidden_size":32,"num_channels":3,"image_size":1024,"patch_size":` +
			itoa(tc.patch) + `,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":2,"adapter_bias":false,` +
			`"image_token_id":10,"image_break_token_id":14,"image_end_token_id":15}}`
		dir := nativeModelWith(t, params)
		if err := os.Remove(filepath.Join(dir, "tekken.json")); err != nil {
			t.Fatal(err)
		}
		src, _ := filepath.Abs(filepath.Join(fixtures(t, "mistral-common", "tokenizers"), "mistral_instruct_tokenizer_241114.model.v7"))
		if err := os.Symlink(src, filepath.Join(dir, "tokenizer.model.v7m1")); err != nil {
			t.Fatal(err)
		}
		versionTemplate(t, dir)
		fs, err := compat.Check(t.Context(), dir, compat.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(codes(fs), ","); got != tc.want {
			t.Errorf("patch %d: codes %q, want %q:%s", tc.patch, got, tc.want, dump(fs))
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestVLLMTokenizerNames: vLLM finds only tekken.json and
// tokenizer.model.v*; mistral-inference takes any *tekken*.json or
// *.model.vN name.
func TestVLLMTokenizerNames(t *testing.T) {
	dir := spmModel(t, "mistral_instruct_tokenizer_240323.model.v3", "mistral_instruct_tokenizer_240323.model.v3")
	for runtime, want := range map[string]string{"vllm-mistral": "tokenizer.unrecognized", "mistral-inference": ""} {
		fs, err := compat.Check(t.Context(), dir, compat.Options{Profiles: []string{runtime}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(codes(fs), ","); got != want {
			t.Errorf("%s: codes %q, want %q:%s", runtime, got, want, dump(fs))
		}
	}
}

// spmParams is a narrow model (dim 16) with the SentencePiece vocabulary
// size, so that its embeddings stay about 1 MB.
const spmParams = `{"dim":16,"n_layers":1,"head_dim":8,"hidden_dim":32,"n_heads":2,"n_kv_heads":1,"norm_eps":1e-5,"vocab_size":32768}`
