#!/usr/bin/env bash
# ckpt eval run's overhead over the runtime: N prompts (default 200) through
# the ollama runner on a GGUF model, against the same rendered prompts sent
# by a plain curl loop to an Ollama server started and loaded by hand (both
# timed end to end: server start, blob upload, create, generation), both
# with one request in flight and OLLAMA_NUM_PARALLEL=1 (ckpt's default).
#
# usage: GGUF=model.gguf bench/eval.sh   (OLLAMA=path, N=200, MAX_TOKENS=16)
# Until ckpt exports GGUF itself, GGUF is any small model file.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GGUF:?set GGUF to a GGUF model file}"
OLLAMA=${OLLAMA:-$HOME/.cache/ckpt-ci/bin/ollama}
N=${N:-200}
MAX_TOKENS=${MAX_TOKENS:-16}
WORK=$(mktemp -d)
PID=""
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

go build -o "$WORK/ckpt" ./cmd/ckpt
mkdir -p "$WORK/model"
cp "$GGUF" "$WORK/model/model.gguf"
cp examples/quickstart/base/chat_template.jinja "$WORK/model/"
for i in $(seq 1 "$N"); do
  printf '{"id":"p%d","messages":[{"role":"system","content":"Answer with a JSON ticket."},{"role":"user","content":"Ticket %d: I was charged twice for order %d."}],"expected":{"category":"billing"}}\n' "$i" "$i" "$((i * 7919))"
done > "$WORK/prompts.jsonl"
echo "$N prompts, max_tokens $MAX_TOKENS, $(stat -c %s "$GGUF") byte GGUF; load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: figures vary)"

now() { date +%s.%N; }
t0=$(now)
"$WORK/ckpt" eval run "$WORK/model/model.gguf" --prompts "$WORK/prompts.jsonl" --runner ollama --ollama "$OLLAMA" \
  --max-tokens "$MAX_TOKENS" --out "$WORK/out" >/dev/null || true   # a random model fails the gate
t1=$(now)

# The plain loop: the prompts exactly as ckpt sent them.
/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(json.dumps({"model": "m", "prompt": r["input"], "raw": True, "stream": False,
        "options": {"temperature": 0, "seed": 42, "num_predict": int(sys.argv[2]), "stop": ["</s>"]}}))' \
  "$WORK/out/predictions.jsonl" "$MAX_TOKENS" > "$WORK/requests.jsonl"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
DIGEST=sha256:$(sha256sum "$GGUF" | cut -d' ' -f1)
t2=$(now)
mkdir -p "$WORK/plain/home"
OLLAMA_NUM_PARALLEL=1 OLLAMA_HOST=127.0.0.1:$PORT OLLAMA_MODELS=$WORK/plain/models HOME=$WORK/plain/home "$OLLAMA" serve >"$WORK/plain/log" 2>&1 &
PID=$!
until curl -sf "$URL/api/version" >/dev/null; do sleep 0.1; done
curl -sf -X POST --data-binary "@$GGUF" "$URL/api/blobs/$DIGEST" >/dev/null
curl -sf "$URL/api/create" -d "{\"model\":\"m\",\"files\":{\"model.gguf\":\"$DIGEST\"},\"template\":\"{{ .Prompt }}\",\"stream\":false}" >/dev/null
t3=$(now)
while IFS= read -r body; do
  curl -sf "$URL/api/generate" -d "$body" >/dev/null
done < "$WORK/requests.jsonl"
t4=$(now)

awk -v c="$(awk "BEGIN{print $t1-$t0}")" -v s="$(awk "BEGIN{print $t3-$t2}")" -v g="$(awk "BEGIN{print $t4-$t3}")" 'BEGIN{
  p = s + g
  printf "ckpt eval run   %7.2f s  (server start, upload, create, %d prompts, render, classify, report)\n", c, '"$N"'
  printf "plain curl loop %7.2f s  (start+load %.2f s, generate %.2f s)\n", p, s, g
  printf "ckpt overhead   %+6.1f %% of the plain run\n", 100 * (c - p) / p }'
