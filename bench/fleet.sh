#!/usr/bin/env bash
# Remote cache across a fleet: runner A builds a quickstart-like spec
# (model → adapter → merge → checks → bundle) of a synthetic bf16 Mistral
# model of SIZE (default 1GiB) with --cache on Debian's docker-registry
# (127.0.0.1, plain HTTP) and saves its entries; runner B builds a fresh
# copy of the folder with an empty store and the same cache. Prints both
# wall times, B's fraction of A's, the steps and plugin processes B
# started (CKPT_LOG=debug), B's per-step times and the blob bytes B
# downloaded (from the registry's access log: GET .../blobs/ response sizes).
#
# usage: bench/fleet.sh            (SIZE=4GiB, WORK=/some/dir WORK_KEEP=1 to keep the files)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-$(mktemp -d)}
[ -n "${WORK_KEEP:-}" ] || trap 'kill "${REG_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
SIZE=${SIZE:-1GiB}
command -v docker-registry >/dev/null || { echo "docker-registry is not installed (apt-get install docker-registry)"; exit 1; }

go build -o "$WORK/ckpt" ./cmd/ckpt
CKPT="$WORK/ckpt"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/reg"
cat > "$WORK/reg/config.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $WORK/reg/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
YML
docker-registry serve "$WORK/reg/config.yml" > "$WORK/reg/log" 2>&1 &
REG_PID=$!
until curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null; do sleep 0.1; done
REF=127.0.0.1:$PORT/ci/ckpt-cache

A=$WORK/a
mkdir -p "$A"
# The quickstart's spec without its eval (its predictions are stamped for
# the tiny model's merge) and push: model → adapter → merge → checks → bundle.
awk '/^(eval|push) /{skip=1} !skip{print} skip && /^}/{skip=0}' examples/quickstart/quickstart.ckpt.hcl > "$A/fleet.ckpt.hcl"
"$CKPT" synth model "$A/base" --layout native --size "$SIZE" --seed 1 >/dev/null
"$CKPT" synth adapter "$A/adapters/support" --base "$A/base" --format peft --rank 8 --alpha 16 \
  --targets wq,wk,wv,wo --seed 2 >/dev/null
MODEL=$(du -sb "$A/base" | cut -f1)
echo "model: $MODEL bytes ($SIZE bf16); load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: figures vary)"

now() { date +%s.%N; }
t0=$(now); "$CKPT" build "$A" --cache "$REF" --plain-http --json > "$WORK/a.jsonl"; t1=$(now)
B=$WORK/b
cp -a "$A" "$B" && rm -rf "$B/.ckpt"
cat "$B/base"/* > /dev/null # B's checkout is in the page cache, as A's was
: > "$WORK/reg/log"
t2=$(now); CKPT_LOG=debug "$CKPT" build "$B" --cache "$REF" --plain-http --json > "$WORK/b.jsonl" 2> "$WORK/b.err"; t3=$(now)

DOWN=$(grep -ao '"GET /v2/[^ ]*/blobs/sha256:[0-9a-f]* HTTP/1.1" 200 [0-9]*' "$WORK/reg/log" | awk '{s+=$NF} END {print s+0}')
STARTED=$(grep -c '"type":"step_started"' "$WORK/b.jsonl" || true)
PLUGINS=$(grep -c '^debug: plugin .* started (' "$WORK/b.err" || true)
SAME=$( [ "$(grep bundle.release "$WORK/a.jsonl" | grep -o '"artifact":"[^"]*"' | tail -1)" = \
          "$(grep bundle.release "$WORK/b.jsonl" | grep -o '"artifact":"[^"]*"' | tail -1)" ] && echo yes || echo NO)
awk -v a0="$t0" -v a1="$t1" -v b0="$t2" -v b1="$t3" -v down="$DOWN" -v model="$MODEL" -v st="$STARTED" -v pl="$PLUGINS" -v same="$SAME" 'BEGIN {
  printf "runner A (builds, saves its cache): %.2f s\n", a1-a0
  printf "runner B (fresh copy, empty store): %.2f s = %.1f %% of A; steps started %d, plugins started %d; bundle digest equal: %s\n", b1-b0, 100*(b1-b0)/(a1-a0), st, pl, same
  printf "runner B downloaded %d blob bytes = %.4f %% of the model\n", down, 100*down/model }'
echo "runner B per step (ms):"
grep '"type":"step_finished"' "$WORK/b.jsonl" | sed 's/.*"step":"\([^"]*\)".*"duration_ms":\([0-9]*\).*/  \1 \2/'
