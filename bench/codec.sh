#!/usr/bin/env bash
# Ratio and speed of ckpt's weight codecs (float byte planes + huff0, zstd
# with all-literal entropy coding) against `zstd -1 -T0`, on the same bf16
# file: the consolidated.safetensors of a synthetic N(0, 0.02) bf16 Mistral
# model (about 1 GiB; LAYERS=n to change the size).
#
# usage: bench/codec.sh            (WORK=/some/dir WORK_KEEP=1 to keep the files)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-$(mktemp -d)}
[ -n "${WORK_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
LAYERS=${LAYERS:-9}

go build -o "$WORK/ckpt" ./cmd/ckpt
if [ ! -f "$WORK/model/consolidated.safetensors" ]; then
  "$WORK/ckpt" synth model "$WORK/model" --layout native --dim 2048 --layers "$LAYERS" --heads 16 \
    --kv-heads 4 --hidden 5632 --vocab 32768 --dtype bf16 --seed 1 >/dev/null
fi
F="$WORK/model/consolidated.safetensors"
SIZE=$(stat -c %s "$F")
echo "file: $SIZE bytes bf16 N(0,0.02); load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: figures vary)"
cat "$F" > /dev/null

now() { date +%s.%N; }
mbs() { awk "BEGIN{printf \"%.0f\", $SIZE/1e6/($2-$1)}"; }

t0=$(now); zstd -q -1 -T0 -f "$F" -o "$WORK/f.zst"; t1=$(now)
ZSIZE=$(stat -c %s "$WORK/f.zst")
t2=$(now); zstd -q -d -T0 -f "$WORK/f.zst" -o /dev/null; t3=$(now)
printf '%-22s ratio %.4f  encode %5s MB/s  decode %5s MB/s\n' "zstd -1 -T0 (CLI)" \
  "$(awk "BEGIN{print $SIZE/$ZSIZE}")" "$(mbs "$t0" "$t1")" "$(mbs "$t2" "$t3")"
rm -f "$WORK/f.zst"

# ckpt's codecs, in memory, wall clock, GOMAXPROCS = all cores.
CKPT_BENCH_FILE="$F" go test ./packaging/layer -run '^$' -bench 'BenchmarkCodecFile' -benchtime 3x -count 1 \
  | awk '/^BenchmarkCodecFile/ {
      name=$1; sub(/^BenchmarkCodecFile\//, "", name); sub(/-[0-9]+$/, "", name)
      mb=""; ratio=""
      for (i=1; i<=NF; i++) { if ($i=="MB/s") mb=$(i-1); if ($i=="ratio") ratio=$(i-1) }
      printf "ckpt %-17s %s%s MB/s\n", name, (ratio!="" ? "ratio " ratio "  " : ""), mb }'
