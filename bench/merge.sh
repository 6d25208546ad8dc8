#!/usr/bin/env bash
# Benchmark of ckpt's LoRA merge against its floor (cp of the same bytes) and
# a numpy script doing the same merge, in the same run on the same data:
# a synthetic native bf16 base of about 1.35 GB and a rank-16 PEFT adapter on
# every linear layer. Prints times, ratios and ckpt's peak RSS.
#
# usage: bench/merge.sh            (WORK=/some/dir to keep the files)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
WORK=${WORK:-$(mktemp -d)}
KEEP=${WORK_KEEP:-}
[ -n "$KEEP" ] || trap 'rm -rf "$WORK"' EXIT

go build -o "$WORK/ckpt" ./cmd/ckpt
CKPT="$WORK/ckpt"
if [ ! -f "$WORK/base/consolidated.safetensors" ]; then
  "$CKPT" synth model "$WORK/base" --layout native --dim 2048 --layers 12 --heads 16 --kv-heads 4 \
    --hidden 5632 --vocab 32768 --dtype bf16 --seed 1
  "$CKPT" synth adapter "$WORK/lora" --base "$WORK/base" --format peft --rank 16 --seed 2
fi
BASE="$WORK/base/consolidated.safetensors"
SIZE=$(stat -c %s "$BASE")
echo "base: $SIZE bytes ($(awk "BEGIN{printf \"%.2f\", $SIZE/2^30}") GiB) bf16; adapter: rank 16, 7 linears × 12 layers"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
cat "$BASE" > /dev/null # warm the page cache for every contender

now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.2f\", $2-$1}"; }

rm -rf "$WORK/cp" "$WORK/out" "$WORK/np"; mkdir -p "$WORK/cp"
t0=$(now); cp "$BASE" "$WORK/cp/"; sync -f "$WORK/cp/consolidated.safetensors" 2>/dev/null || true; t1=$(now)
T_CP=$(secs "$t0" "$t1"); rm -rf "$WORK/cp"

t0=$(now)
/usr/bin/time -v -o "$WORK/time.txt" "$CKPT" synth merge "$WORK/out" --base "$WORK/base" --adapter "$WORK/lora:peft" >/dev/null
sync -f "$WORK/out/consolidated.safetensors" 2>/dev/null || true
t1=$(now)
T_CKPT=$(secs "$t0" "$t1")
RSS_KB=$(awk -F: '/Maximum resident set size/{gsub(/ /,"",$2); print $2}' "$WORK/time.txt")
rm -rf "$WORK/out"

t0=$(now)
/usr/bin/time -v -o "$WORK/time_np.txt" "$PY" bench/merge_numpy.py "$WORK/base" "$WORK/lora" "$WORK/np"
sync -f "$WORK/np/consolidated.safetensors" 2>/dev/null || true
t1=$(now)
T_NP=$(secs "$t0" "$t1")
RSS_NP=$(awk -F: '/Maximum resident set size/{gsub(/ /,"",$2); print $2}' "$WORK/time_np.txt")
rm -rf "$WORK/np"

awk -v cp="$T_CP" -v ck="$T_CKPT" -v np="$T_NP" -v rss="$RSS_KB" -v rssnp="$RSS_NP" -v size="$SIZE" 'BEGIN {
  printf "cp (floor)   %6.2f s  %7.0f MB/s\n", cp, size/cp/1e6
  printf "ckpt merge   %6.2f s  %7.0f MB/s  %.2fx cp   peak RSS %.0f MB (%.1f%% of the model)\n", ck, size/ck/1e6, ck/cp, rss/1024, 100*rss*1024/size
  printf "numpy merge  %6.2f s  %7.0f MB/s  %.2fx cp   peak RSS %.0f MB\n", np, size/np/1e6, np/cp, rssnp/1024
  printf "ckpt vs numpy: %.2fx faster\n", np/ck
  printf "goals: within 2x of cp: %s; faster than numpy: %s; RSS < 10%%: %s\n", (ck <= 2*cp ? "yes" : "no"), (ck < np ? "yes" : "no"), (rss*1024 < size/10 ? "yes" : "no")
}'
