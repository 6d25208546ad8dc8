package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/packaging/tekken"
)

const templateConv = `{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi [INST]"}]}`

// templateDir is a model folder with a fixture chat template and a
// synthetic v7 tekken.json.
func templateDir(t *testing.T, template string, extra string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "..", "shared", "fixtures", "mistral-common", "chat_templates", template))
	if err != nil {
		t.Fatal(err)
	}
	tek, err := synth.Tekken(synth.TekkenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return specDir(t, map[string]string{"chat_template.jinja": string(src) + extra, "tekken.json": string(tek), "conv.json": templateConv})
}

func TestTemplateRender(t *testing.T) {
	dir := templateDir(t, "v7.jinja", "")
	conv := filepath.Join(dir, "conv.json")
	want := "<s>[SYSTEM_PROMPT]Be brief.[/SYSTEM_PROMPT][INST]Hi [INST][/INST]\n"
	code, out, errs := specRun(t, "template", "render", dir, "--messages", conv)
	if code != 0 || out != want {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errs)
	}
	code, out, errs = specRun(t, "template", "render", dir, "--messages", conv, "--canonical")
	if code != 0 || out != want {
		t.Fatalf("--canonical: exit %d, stdout %q, stderr %s", code, out, errs)
	}
	code, out, errs = specRun(t, "template", "render", dir, "--messages", conv, "--canonical", "--tokens", "--json")
	var got renderOutput
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("--json: exit %d, stdout %q, stderr %s", code, out, errs)
	}
	tok, err := tekken.Load(filepath.Join(dir, "tekken.json"))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := tok.Text(got.Tokens)
	if got.Version != "v7" || got.Source != "canonical" || text+"\n" != want || got.Text+"\n" != want {
		t.Errorf("--json: %+v (ids decode to %q)", got, text)
	}
	// The user's "[INST]" is text in the canonical ids, a special in the
	// template's text as a runtime reads it.
	_, out, _ = specRun(t, "template", "render", dir, "--messages", conv, "--tokens", "--json")
	var tmpl renderOutput
	if err := json.Unmarshal([]byte(out), &tmpl); err != nil || len(tmpl.Tokens) >= len(got.Tokens) {
		t.Errorf("template tokens %v, canonical %v (%v)", tmpl.Tokens, got.Tokens, err)
	}
}

// TestTemplateRenderSPM: the canonical ids with mistral-common's v3
// SentencePiece model.
func TestTemplateRenderSPM(t *testing.T) {
	model, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "..", "shared", "fixtures", "mistral-common", "tokenizers", "mistral_instruct_tokenizer_240323.model.v3"))
	if err != nil {
		t.Fatal(err)
	}
	dir := specDir(t, map[string]string{"tokenizer.model.v3": string(model), "chat_template.jinja": "{{ bos_token }}", "conv.json": `{"messages": [{"role": "user", "content": "What's the weather like today"}]}`})
	code, out, errs := specRun(t, "template", "render", dir, "--messages", filepath.Join(dir, "conv.json"), "--canonical", "--tokens")
	want := "<s>[INST] What's the weather like today[/INST]\n[1,3,2592,29510,29481,1040,8854,1505,3922,4]\n10 tokens\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errs)
	}
	code, _, errs = specRun(t, "template", "render", dir, "--messages", filepath.Join(dir, "conv.json"), "--tokens", "--version", "v3_spm")
	if code != 2 || !strings.Contains(errs, "add --canonical") {
		t.Errorf("template text with SentencePiece: exit %d, %s", code, errs)
	}
}

func TestTemplateRenderErrors(t *testing.T) {
	dir := templateDir(t, "v7.jinja", "")
	conv := filepath.Join(dir, "conv.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	noTok := specDir(t, map[string]string{"chat_template.jinja": "x"})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"template", "render", dir}, 2, "--messages CONV.json is required"},
		{[]string{"template", "render", dir, "--messages", conv, "--canonical", "--version", "v4"}, 2, `tokenizer version "v4"`},
		{[]string{"template", "render", noTok, "--messages", conv, "--canonical"}, 1, "no Mistral tokenizer"},
		{[]string{"template", "render", noTok, "--messages", conv, "--canonical", "--version", "v3", "--tokens"}, 1, "--tokens"},
		{[]string{"template", "render", dir, "--messages", bad, "--canonical"}, 1, "mistral-common refuses the conversation: Expected last role User or Tool"},
		{[]string{"template", "render", dir, "--messages", filepath.Join(dir, "missing.json")}, 1, "missing.json"},
		{[]string{"template", "render", t.TempDir(), "--messages", conv}, 1, "no chat template"},
	} {
		code, _, errs := specRun(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

func TestTemplateDiff(t *testing.T) {
	code, out, errs := specRun(t, "template", "diff", templateDir(t, "v7.jinja", ""))
	if n := len(chatfmt.Suite(chatfmt.Version{N: 7})); code != 0 || !strings.Contains(out, "the "+strconv.Itoa(n)+" conversations render the canonical v7 text") {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errs)
	}
	// Every conversation shows [EXTRA] but continue_final_message, whose
	// text is cut after the final message as transformers cuts it.
	code, out, errs = specRun(t, "template", "diff", templateDir(t, "v7.jinja", "{{ '[EXTRA]' }}"))
	if code != 1 || strings.Count(out, "[EXTRA]") != len(chatfmt.Suite(chatfmt.Version{N: 7}))-1 ||
		!strings.Contains(out, `conversation "chat": the template's text differs at byte `) || !strings.Contains(errs, "conversations differ from the canonical v7 format") {
		t.Fatalf("[EXTRA]: exit %d, stdout %q, stderr %s", code, out, errs)
	}
	// The v7 template against the SentencePiece format of v7.
	if code, _, _ := specRun(t, "template", "diff", templateDir(t, "v7.jinja", ""), "--version", "v7_spm"); code != 1 {
		t.Errorf("wrong version: exit %d", code)
	}
}
