package testenv

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// generateScript continues a raw prompt greedily in llama.cpp as Ollama's
// runner does: BOS, the prompt with special tokens parsed, tokens up to an
// end-of-generation token, special tokens spelled out.
const generateScript = `import {getLlama, LlamaLogLevel} from "node-llama-cpp";
const req = JSON.parse(process.argv[2]);
const logs = [];
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.debug, logger: (l, m) => logs.push(m)});
let model;
try { model = await llama.loadModel({modelPath: req.model, gpuLayers: 0}); } catch (e) { console.error(logs.join("")); throw e; }
const opts = {contextSize: 256, threads: 2};
if (req.lora) opts.lora = {adapters: [{filePath: req.lora, scale: 1}]};
const ctx = await model.createContext(opts);
const seq = ctx.getSequence();
const tokens = Array.from(model.tokenize(req.prompt, true));
if (model.tokens.bos != null && model.fileInfo.metadata.tokenizer?.ggml?.add_bos_token !== false) tokens.unshift(model.tokens.bos);
const out = [];
for await (const t of seq.evaluate(tokens, {temperature: 0, yieldEogToken: true})) {
  if (model.isEogToken(t)) break;
  out.push(t);
  if (out.length >= req.n) break;
}
console.log(JSON.stringify({text: model.detokenize(out, true), tokens: out}));
await ctx.dispose();
await model.dispose();
`

// Generate continues prompt greedily for up to n tokens in llama.cpp with
// the model GGUF (and a LoRA GGUF applied at load time, when lora is set),
// and returns the text, cut at the first of stop and at the first byte
// token that does not form valid UTF-8 (Ollama holds such bytes back, and
// what it shows after them differs): a prefix of what Ollama answers.
func (l Llama) Generate(t testing.TB, model, lora, prompt string, n int, stop ...string) string {
	t.Helper()
	text, _, _ := strings.Cut(l.generate(t, model, lora, prompt, n), "\uFFFD")
	return cutStop(text, stop)
}

// GenerateValid is Generate with the bytes that form no valid UTF-8 left
// out instead of cutting there: Ollama drops them from its answer, which
// is then a prefix of this text.
func (l Llama) GenerateValid(t testing.TB, model, lora, prompt string, n int, stop ...string) string {
	t.Helper()
	return cutStop(strings.ReplaceAll(l.generate(t, model, lora, prompt, n), "\uFFFD", ""), stop)
}

func cutStop(text string, stop []string) string {
	for _, s := range stop {
		if i := strings.Index(text, s); i >= 0 {
			text = text[:i]
		}
	}
	return text
}

// generate returns llama.cpp's greedy continuation, special tokens spelled
// out and invalid bytes as U+FFFD.
func (l Llama) generate(t testing.TB, model, lora, prompt string, n int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(l.Dir, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "generate.mjs")
	if err := os.WriteFile(script, []byte(generateScript), 0o644); err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(map[string]any{"model": model, "lora": lora, "prompt": prompt, "n": n})
	b, err := exec.Command(l.Node, script, string(req)).Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("llama.cpp generate: %v\n%s", err, stderr)
	}
	var out struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("llama.cpp generate: %v: %s", err, b)
	}
	return out.Text
}
