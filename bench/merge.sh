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

# run NAME OUTFILE CMD...: times CMD to its return (data in the page cache)
# and to durability (sync of OUTFILE), after flushing earlier writes.
run() {
  local name=$1 outfile=$2; shift 2
  sync
  local t0 t1 t2
  t0=$(now); /usr/bin/time -v -o "$WORK/time_$name.txt" "$@" >/dev/null; t1=$(now)
  sync -f "$outfile"; t2=$(now)
  local rss; rss=$(awk -F: '/Maximum resident set size/{gsub(/ /,"",$2); print $2}' "$WORK/time_$name.txt")
  local cpu; cpu=$(awk -F: '/User time/{u=$2} /System time/{s=$2} END{printf "%.2f", u+s}' "$WORK/time_$name.txt")
  echo "$name $(awk "BEGIN{printf \"%.3f %.3f\", $t1-$t0, $t2-$t0}") $rss $cpu" >> "$WORK/results.txt"
}

rm -rf "$WORK/cp" "$WORK/out" "$WORK/np" "$WORK/results.txt"; mkdir -p "$WORK/cp"
run cp "$WORK/cp/consolidated.safetensors" cp "$BASE" "$WORK/cp/"
rm -rf "$WORK/cp"
run ckpt "$WORK/out/consolidated.safetensors" "$CKPT" synth merge "$WORK/out" --base "$WORK/base" --adapter "$WORK/lora:peft"
rm -rf "$WORK/out"
run numpy "$WORK/np/consolidated.safetensors" "$PY" bench/merge_numpy.py "$WORK/base" "$WORK/lora" "$WORK/np"
rm -rf "$WORK/np"

awk -v size="$SIZE" '
  { t[$1]=$2; d[$1]=$3; rss[$1]=$4; cpu[$1]=$5 }
  END {
    printf "%-12s %9s %9s %10s %9s %9s\n", "", "time (s)", "x cp", "durable(s)", "CPU (s)", "RSS (MB)"
    split("cp ckpt numpy", names, " ")
    for (i = 1; i <= 3; i++) { n = names[i]
      printf "%-12s %9.2f %9.2f %10.2f %9.2f %9.0f\n", n, t[n], t[n]/t["cp"], d[n], cpu[n], rss[n]/1024 }
    printf "ckpt: %.0f MB/s, %.2fx faster than numpy, peak RSS %.1f%% of the model\n", size/t["ckpt"]/1e6, t["numpy"]/t["ckpt"], 100*rss["ckpt"]*1024/size
    printf "goals: within 2x of cp: %s; faster than numpy: %s; RSS < 10%%: %s\n", (t["ckpt"] <= 2*t["cp"] ? "yes" : "no"), (t["ckpt"] < t["numpy"] ? "yes" : "no"), (rss["ckpt"]*1024 < size/10 ? "yes" : "no")
  }' "$WORK/results.txt"
