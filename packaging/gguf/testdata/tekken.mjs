// Tokenizes texts two ways: llama.cpp on the GGUF, and the npm tiktoken
// core (a real tiktoken BPE, not ckpt's code) built from tekken.json's
// ranks and pattern, special tokens split out as mistral-common does.
// Input: one JSON argument {model, tekken, texts: [[text, special]]}.
import fs from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {Tiktoken} from "tiktoken/lite";

const req = JSON.parse(process.argv[2]);
const tk = JSON.parse(fs.readFileSync(req.tekken, "utf8"));
const nSpecial = tk.config.default_num_special_tokens;
const inner = tk.config.default_vocab_size - nSpecial;
const ranks = tk.vocab.slice(0, inner).map(v => `${v.token_bytes} ${v.rank}`).join("\n") + "\n";
const enc = new Tiktoken(ranks, {}, tk.config.pattern);
const specials = new Map(tk.special_tokens.map(s => [s.token_str, s.rank]));

function reference(text, special) {
  const out = [];
  const names = [...specials.keys()].sort((a, b) => b.length - a.length).map(s => s.replace(/[[\]\\/^$.|?*+()]/g, "\\$&"));
  const parts = special ? text.split(new RegExp(`(${names.join("|")})`)) : [text];
  for (const p of parts) {
    if (p === "") continue;
    if (special && specials.has(p)) { out.push(specials.get(p)); continue; }
    for (const id of enc.encode(p, [], [])) out.push(id + nSpecial);
  }
  return out;
}

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: req.model, gpuLayers: 0});
const res = req.texts.map(([text, special]) => ({
  text, special,
  llama: Array.from(model.tokenize(text, special)),
  reference: reference(text, special),
}));
console.log(JSON.stringify(res));
await model.dispose();
