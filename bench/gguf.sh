#!/usr/bin/env bash
# GGUF export benchmark: ckpt's Export of a ~1.1 GiB bf16 synthetic model to BF16, Q8_0 and
# Q4_K_M against the floor (cp of the same bytes, then fsync as Export does, same run) and
# against llama.cpp's own quantizer (llama_model_quantize from node-llama-cpp's libllama, 2
# threads) where it is installed; peak RSS of each export process. The machine may be shared:
# the load average is printed, and CPU seconds show what the cores could do when idle.
# Usage: bash bench/gguf.sh   (from the repository root; LAYERS=10 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ckpt" ./cmd/ckpt
go test -c -o "$tmp/gguf.test" ./packaging/gguf
"$tmp/ckpt" synth model "$tmp/model" --dim 2048 --layers "${LAYERS:-10}" --hidden 5632 --heads 16 --kv-heads 4 \
  --vocab 32768 --seed 1 > /dev/null
src="$tmp/model/consolidated.safetensors"
size=$(stat -c %s "$src")
mb() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
now() { date +%s.%N; }
sync
echo "model: $(awk -v b="$size" 'BEGIN { printf "%.2f GiB", b / 2^30 }') bf16, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
cat "$src" > /dev/null # every run below reads the source from the page cache
t0=$(now); cp "$src" "$tmp/copy"; t1=$(now); sync "$tmp/copy"; t2=$(now)
cp_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
cps_s=$(awk -v a="$t0" -v b="$t2" 'BEGIN { print b - a }')
rm "$tmp/copy"
printf "floor  cp: %.2f s (%s MB/s); cp + fsync: %.2f s (%s MB/s)\n" "$cp_s" "$(mb "$size" "$cp_s")" "$cps_s" "$(mb "$size" "$cps_s")"
mkdir -p "$tmp/out"
for ty in bf16 q8_0 q4_k_m; do
  CKPT_BENCH_MODEL="$tmp/model" CKPT_BENCH_OUT="$tmp/out" /usr/bin/time -f "%M %U %S" -o "$tmp/rss" \
    "$tmp/gguf.test" -test.run '^$' -test.bench "^BenchmarkExport/$ty\$" -test.benchtime 1x > "$tmp/bench.out"
  ns=$(awk '/^BenchmarkExport/ { print $3 }' "$tmp/bench.out")
  s=$(awk -v n="$ns" 'BEGIN { print n / 1e9 }')
  rss=$(awk '{ print $1 / 1024 }' "$tmp/rss")
  cpu=$(awk '{ print $2 + $3 }' "$tmp/rss")
  printf "ckpt   %-7s %6.2f s  %5s MB/s of input  %.2fx cp  %.2fx cp+fsync  cpu %.2f s (%s MB/s per busy core)  peak RSS %.0f MiB (%.1f%% of the model)\n" \
    "$ty" "$s" "$(mb "$size" "$s")" "$(awk -v a="$s" -v b="$cp_s" 'BEGIN { print a / b }')" \
    "$(awk -v a="$s" -v b="$cps_s" 'BEGIN { print a / b }')" "$cpu" "$(mb "$size" "$cpu")" "$rss" \
    "$(awk -v r="$rss" -v b="$size" 'BEGIN { print 100 * r * 2^20 / b }')"
  [ "$ty" = bf16 ] || rm -f "$tmp/out/$ty.gguf"
done
lib="${CKPT_CI_CACHE:-$HOME/.cache/ckpt-ci}/node/llama-3.21.1/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ -f "$lib/libllama.v0.4.0.so" ] && command -v cc > /dev/null; then
  cc -O2 -o "$tmp/quantize" packaging/gguf/testdata/quantize.c "$lib/libllama.v0.4.0.so" "$lib/libggml-base.so" \
    "$lib/libggml.v0.4.0.so" -Wl,-rpath,"$lib"
  for q in "q8_0 7" "q4_k_m 15"; do
    set -- $q
    s=$("$tmp/quantize" "$tmp/out/bf16.gguf" "$tmp/out/ref.gguf" "$2" 2 2> /dev/null | tail -1)
    printf "llama.cpp llama_model_quantize %-7s %6.2f s  %5s MB/s of bf16 input (2 threads)\n" "$1" "$s" "$(mb "$size" "$s")"
    rm -f "$tmp/out/ref.gguf"
  done
else
  echo "llama.cpp quantizer: not installed (go test ./packaging/gguf installs node-llama-cpp into the CI cache)"
fi
