// Runs llama.cpp (node-llama-cpp) on a GGUF: next-token log-probs over the
// whole vocab at every position of a token sequence, a greedy continuation,
// and the tokenization of texts. Input: one JSON argument; output: JSON.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const req = JSON.parse(process.argv[2]);
const logs = [];
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.debug, logger: (l, m) => logs.push(m)});
let model;
try {
  model = await llama.loadModel({modelPath: req.model, gpuLayers: 0});
} catch (e) {
  console.error(logs.join(""));
  throw e;
}
const out = {vocab: model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length};
if (req.tokens) {
  const opts = {contextSize: 128, batchSize: 128, threads: 2, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"};
  if (req.lora) opts.lora = {adapters: [{filePath: req.lora, scale: 1}]};
  const ctx = await model.createContext(opts);
  const seq = ctx.getSequence();
  const res = await seq.controlledEvaluate(req.tokens.map(t => [t, {generateNext: {probabilities: true}}]));
  out.logprobs = res.map(r => {
    const p = new Array(out.vocab).fill(-Infinity);
    for (const [t, v] of r.next.probabilities) p[t] = Math.log(v);
    return p;
  });
  await seq.clearHistory();
  const greedy = [];
  for await (const t of seq.evaluate(req.tokens, {temperature: 0, yieldEogToken: true})) {
    greedy.push(t);
    if (greedy.length >= (req.greedy ?? 8)) break;
  }
  out.greedy = greedy;
  await ctx.dispose();
}
if (req.texts) {
  out.tokenize = req.texts.map(([text, special]) => Array.from(model.tokenize(text, special)));
}
console.log(JSON.stringify(out, (k, v) => v === -Infinity ? -1e30 : v));
await model.dispose();
