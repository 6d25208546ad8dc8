#!/usr/bin/env bash
# Zero-copy ingest benchmark (issue 17): the first `ckpt build` of a spec
# with one model "dir" step on a synthesized model of SIZE (default
# 1.35GB, HF layout in SHARD shards) against `sha256sum` of the same
# files, in the same run, both with the files in the page cache (each is
# run REPS times, alternating; the best of each counts). Prints both
# times, the ratio and the size of .ckpt/store (du, links not followed)
# against the model's. Goals: build <= 1.2x sha256sum, store < 1 %.
# `openssl dgst -sha256` (which uses the CPU's SHA extensions, as Go does;
# coreutils' sha256sum may not) is timed too, as a second peer.
#
# usage: bench/ingest.sh   (SIZE=256MB for a quick run; WORK=DIR WORK_KEEP=1
#                           to keep the files; needs about SIZE of free disk)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1.35GB}
SHARD=${SHARD:-512MB}
REPS=${REPS:-3}
WORK=${WORK:-$(mktemp -d)}
[ -n "${WORK_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

go build -o "$WORK/ckpt" ./cmd/ckpt
CKPT="$WORK/ckpt"
now() { date +%s.%N; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $(df -h "$WORK" | awk 'NR==2{print $4}') free in $WORK ($(df -T "$WORK" | awk 'NR==2{print $2}'))"

P="$WORK/project"
mkdir -p "$P"
[ -f "$P/base/config.json" ] || "$CKPT" synth model "$P/base" --size "$SIZE" --layout hf --shard-size "$SHARD" --seed 1 >/dev/null
cat > "$P/ingest.ckpt.hcl" <<'EOF'
model "dir" "base" {
  path    = "./base"
  id      = "synth-ingest"
  license = "Apache-2.0"
}
EOF
BYTES=$(cat "$P"/base/* | wc -c)
echo "model: $BYTES bytes in $(ls "$P"/base | wc -l) files ($(ls "$P"/base/*.safetensors | wc -l) shards)"
cat "$P"/base/* > /dev/null # into the page cache, for both

best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
sum="" build="" ossl=""
for _ in $(seq "$REPS"); do
  t0=$(now); sha256sum "$P"/base/* > /dev/null; t1=$(now)
  sum=$(best "$sum" "$(awk "BEGIN{print $t1-$t0}")")
  if command -v openssl > /dev/null; then
    t0=$(now); openssl dgst -sha256 "$P"/base/* > /dev/null; t1=$(now)
    ossl=$(best "$ossl" "$(awk "BEGIN{print $t1-$t0}")")
  fi
  rm -rf "$P/.ckpt"
  t0=$(now); "$CKPT" build "$P" > /dev/null; t1=$(now)
  build=$(best "$build" "$(awk "BEGIN{print $t1-$t0}")")
done
STORE=$(du -sB1 "$P/.ckpt/store" | cut -f1)
MODEL=$(du -sB1 "$P/base" | cut -f1)
t0=$(now); "$CKPT" build "$P" > /dev/null; t1=$(now)
cached=$(awk "BEGIN{print $t1-$t0}")
awk -v s="$sum" -v o="${ossl:-0}" -v b="$build" -v c="$cached" -v st="$STORE" -v m="$MODEL" -v n="$BYTES" 'BEGIN {
  printf "sha256sum %.2f s (%.0f MB/s); first ckpt build %.2f s (%.0f MB/s): %.2fx sha256sum; cached build %.2f s\n", s, n/s/1e6, b, n/b/1e6, b/s, c
  if (o > 0) printf "openssl dgst -sha256 %.2f s (%.0f MB/s): first build %.2fx openssl\n", o, n/o/1e6, b/o
  printf "store: %d bytes on disk for a model of %d (%.3f %%)\n", st, m, 100*st/m
  printf "goals: build <= 1.2x sha256sum: %s; store < 1 %%: %s\n", (b <= 1.2*s ? "yes" : "no"), (st*100 < m ? "yes" : "no")
}'
