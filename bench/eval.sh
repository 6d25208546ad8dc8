#!/usr/bin/env bash
# ckpt eval run's overhead over the runtime: N prompts (default 200) through
# the ollama runner on a synthesized model exported as an F32 GGUF by ckpt,
# against the same rendered prompts, with the same generation settings,
# sent by a plain curl loop to an Ollama server started and loaded by hand
# in the same run. Both are timed end to end (server start, blob upload,
# create, generation), both with one request in flight and
# OLLAMA_NUM_PARALLEL=1 (ckpt's default), ROUNDS times (default 2) in the
# order ckpt, plain, plain, ckpt. On a shared machine llama.cpp's threads
# spin while waiting for each other, so another process's burst can make
# one run several times slower (its CPU time grows with its wall time):
# the overhead is taken on each side's fastest run. It is ckpt's template
# rendering, classification and bookkeeping; the goal is under 10 %. A
# last run sends the prompts through the openai runner to an endpoint that
# answers at once (a small Python server): ckpt's own time with no model
# behind it, which no load burst can hide.
#
# usage: bench/eval.sh   (OLLAMA=path, N=200, MAX_TOKENS=16, ROUNDS=2, GGUF=file to use another model)
set -euo pipefail
cd "$(dirname "$0")/.."
OLLAMA=${OLLAMA:-$HOME/.cache/ckpt-ci/bin/ollama}
N=${N:-200}
MAX_TOKENS=${MAX_TOKENS:-16}
ROUNDS=${ROUNDS:-2}
WORK=$(mktemp -d)
PID=""
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

go build -o "$WORK/ckpt" ./cmd/ckpt
if [ -z "${GGUF:-}" ]; then
  # The model: ckpt synth, exported by a build's export "gguf" step.
  "$WORK/ckpt" synth model "$WORK/spec/model" --seed 1 >/dev/null
  cat > "$WORK/spec/bench.ckpt.hcl" <<'HCL'
model "dir" "base" {
  path    = "./model"
  id      = "tiny-bench-v1"
  license = "Apache-2.0"
}

export "gguf" "bench" {
  from  = model.base
  name  = "bench"
  types = ["f32"]
}
HCL
  "$WORK/ckpt" build "$WORK/spec" >/dev/null 2>&1
  "$WORK/ckpt" export --dir "$WORK/spec" export.bench "$WORK/gguf" >/dev/null
  GGUF=$(ls "$WORK"/gguf/*.gguf)
fi
mkdir -p "$WORK/model"
cp "$GGUF" "$WORK/model/model.gguf"   # ckpt renders the GGUF's own chat template
for i in $(seq 1 "$N"); do
  printf '{"id":"p%d","messages":[{"role":"system","content":"Answer with a JSON ticket."},{"role":"user","content":"Ticket %d: I was charged twice for order %d."}],"expected":{"category":"billing"}}\n' "$i" "$i" "$((i * 7919))"
done > "$WORK/prompts.jsonl"
echo "$N prompts, max_tokens $MAX_TOKENS, $(stat -c %s "$GGUF") byte GGUF; load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: figures vary)"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }
ckpt_run() {  # $1: output folder; prints the seconds taken
  local t; t=$(now)
  "$WORK/ckpt" eval run "$WORK/model/model.gguf" --prompts "$WORK/prompts.jsonl" --runner ollama --ollama "$OLLAMA" \
    --max-tokens "$MAX_TOKENS" --out "$1" >/dev/null || true   # a random model fails the gate
  since "$t"
}
freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DIGEST=sha256:$(sha256sum "$GGUF" | cut -d' ' -f1)
plain_run() {  # $1: a scratch folder; prints "total start+load" seconds
  local port url t t1
  port=$(freeport); url=http://127.0.0.1:$port
  mkdir -p "$1/home"
  t=$(now)
  OLLAMA_NUM_PARALLEL=1 OLLAMA_HOST=127.0.0.1:$port OLLAMA_MODELS=$1/models HOME=$1/home "$OLLAMA" serve >"$1/log" 2>&1 &
  PID=$!
  until curl -sf "$url/api/version" >/dev/null; do sleep 0.1; done
  curl -sf -X POST --data-binary "@$GGUF" "$url/api/blobs/$DIGEST" >/dev/null
  curl -sf "$url/api/create" -d "{\"model\":\"m\",\"files\":{\"model.gguf\":\"$DIGEST\"},\"template\":\"{{ .Prompt }}\",\"parameters\":{\"top_k\":1,\"top_p\":1,\"repeat_penalty\":1},\"stream\":false}" >/dev/null
  t1=$(since "$t")
  while IFS= read -r body; do
    curl -sf "$url/api/generate" -d "$body" >/dev/null
  done < "$WORK/requests.jsonl"
  echo "$(since "$t") $t1"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

cat "$OLLAMA" "$WORK/ckpt" > /dev/null   # neither run pays for reading the binaries
ckpts="$(ckpt_run "$WORK/out")"
# The plain loop: the prompts exactly as ckpt sent them, with the settings
# its report records as sent.
/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    s = r["runner"]["settings"]
    opts = {"temperature": s["temperature"], "seed": s["seed"], "num_predict": s["max_tokens"], "stop": s.get("stop", []),
            "top_k": s["top_k"], "top_p": s["top_p"], "repeat_penalty": s["repeat_penalty"]}
    print(json.dumps({"model": "m", "prompt": r["input"], "raw": True, "stream": False, "options": opts}))' \
  "$WORK/out/predictions.jsonl" > "$WORK/requests.jsonl"
plains=""
for r in $(seq 1 "$ROUNDS"); do
  [ "$r" = 1 ] || ckpts="$ckpts $(ckpt_run "$WORK/out-$r-a")"
  plains="$plains $(plain_run "$WORK/plain-$r-a" | cut -d' ' -f1)"
  read -r p gen0 <<< "$(plain_run "$WORK/plain-$r-b")"
  plains="$plains $p"
  ckpts="$ckpts $(ckpt_run "$WORK/out-$r-b")"
done

# ckpt alone: an OpenAI-compatible endpoint that answers at once.
port=$(freeport)
/usr/bin/python3 -c 'import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def answer(self, body):
        b = json.dumps(body).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self): self.answer({"data": [{"id": "m"}]})
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.answer({"choices": [{"text": "no json here", "finish_reason": "length"}], "usage": {"prompt_tokens": 40, "completion_tokens": 16}})
http.server.HTTPServer.protocol_version = "HTTP/1.1"
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$port" &
PID=$!
until curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null; do sleep 0.1; done
t=$(now)
"$WORK/ckpt" eval run "$WORK/model/model.gguf" --prompts "$WORK/prompts.jsonl" --runner openai --endpoint "http://127.0.0.1:$port" \
  --concurrency 1 --max-tokens "$MAX_TOKENS" --out "$WORK/out3" >/dev/null 2>"$WORK/alone.log" || true
alone=$(since "$t")

echo "ckpt eval run  (s):$(printf ' %.2f' $ckpts)   (server start, upload, create, $N prompts, render, classify, report)"
echo "plain curl loop (s):$(printf ' %.2f' $plains)   (server start, upload, create, $N prompts)"
awk -v c="$ckpts" -v p="$plains" -v a="$alone" -v s0="$gen0" -v n="$N" 'function min(l,  x, i, m) { split(l, x, " "); m = x[1]; for (i in x) if (x[i] < m) m = x[i]; return m }
BEGIN {
  mc = min(c); mp = min(p)
  printf "fastest: ckpt %.2f s, plain %.2f s: ckpt overhead %+.1f %%\n", mc, mp, 100 * (mc - mp) / mp
  printf "ckpt alone: %.2f s for %d prompts (instant endpoint), %.1f %% of the fastest plain run'"'"'s generation (%.2f s)\n", a, n, 100 * a / (mp - s0), mp - s0 }'
