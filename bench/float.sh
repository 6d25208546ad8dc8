#!/usr/bin/env bash
# The float codec against raw, in one run on the same ≥ 1 GiB synthetic bf16
# Mistral model (N(0, 0.02) weights): codec ratio and encode/decode speed,
# bundle build time, registry bytes (the sum of each manifest's blobs, and
# what the registry's storage grew by) and ckpt pull time from a local
# docker-registry on a free 127.0.0.1 port, pulls checked byte for byte.
#
# usage: bench/float.sh            (WORK=/some/dir WORK_KEEP=1 to keep the files; LAYERS=n for the size)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
WORK=${WORK:-$(mktemp -d)}
if [ -n "${WORK_KEEP:-}" ]; then trap stop_registry EXIT; else trap 'stop_registry; rm -rf "$WORK"' EXIT; fi
LAYERS=${LAYERS:-9}

go build -o "$WORK/ckpt" ./cmd/ckpt
CKPT="$WORK/ckpt"
if [ ! -f "$WORK/model/consolidated.safetensors" ]; then
  "$CKPT" synth model "$WORK/model" --layout native --dim 2048 --layers "$LAYERS" --heads 16 \
    --kv-heads 4 --hidden 5632 --vocab 32768 --dtype bf16 --seed 1 >/dev/null
fi
SIZE=$(du -cb "$WORK"/model/* | tail -1 | cut -f1)

. bench/registry.sh
start_registry "$WORK/registry"

mkdir -p "$WORK/spec"
cat > "$WORK/spec/bench.ckpt.hcl" <<HCL
model "dir" "m" {
  path    = "$WORK/model"
  id      = "bench-mistral-1g"
  license = "Apache-2.0"
}
bundle "modelpack" "raw" {
  from = model.m
  name = "bench"
}
bundle "modelpack" "float" {
  from        = model.m
  name        = "bench"
  compression = "float"
}
HCL

now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.2f\", $2-$1}"; }
mbs() { awk "BEGIN{printf \"%.0f\", $SIZE/1e6/$1}"; }
blobs() { "$CKPT" inspect "$1" --plain-http --json | $PY -c 'import json,sys; r=json.load(sys.stdin); print(sum(f["size"] for f in r["files"]))'; }
stored() { du -sb "$WORK/registry/storage" | cut -f1; }

echo "model: $SIZE bytes in $(ls "$WORK/model" | wc -l) files; registry: docker-registry $REG"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: figures vary)"
cat "$WORK"/model/* > /dev/null

"$CKPT" build "$WORK/spec" --only bundle.raw >/dev/null
t0=$(now); "$CKPT" build "$WORK/spec" --only bundle.float >/dev/null; t1=$(now); T_BUILD_FLOAT=$(secs "$t0" "$t1")
for b in raw float; do "$CKPT" export --dir "$WORK/spec" "bundle.$b" "$WORK/bundle-$b" >/dev/null; done

declare -A T_PUSH T_PULL BYTES GROW
for b in raw float; do
  before=$(stored)
  t0=$(now); "$CKPT" push --bundle "$WORK/bundle-$b" "$REG/bench/$b:v1" --plain-http >/dev/null 2>&1; t1=$(now)
  T_PUSH[$b]=$(secs "$t0" "$t1"); GROW[$b]=$(( $(stored) - before ))
  BYTES[$b]=$(blobs "$REG/bench/$b:v1")
  t0=$(now); "$CKPT" pull "$REG/bench/$b:v1" "$WORK/pull-$b" --plain-http >/dev/null 2>&1; t1=$(now)
  T_PULL[$b]=$(secs "$t0" "$t1")
  for f in "$WORK"/model/*; do cmp "$f" "$WORK/pull-$b/$(basename "$f")"; done
done

printf '%-28s %14s %14s\n' "" raw float
printf '%-28s %14s %14s\n' "registry bytes (manifest)" "${BYTES[raw]}" "${BYTES[float]}"
printf '%-28s %14s %14s\n' "registry storage growth" "${GROW[raw]}" "${GROW[float]}"
printf '%-28s %13ss %13ss\n' "ckpt push --bundle" "${T_PUSH[raw]}" "${T_PUSH[float]}"
printf '%-28s %13ss %13ss\n' "ckpt pull (decode, verify)" "${T_PULL[raw]}" "${T_PULL[float]}"
printf '%-28s %14s %13ss\n' "bundle build (encode)" "(hard links)" "$T_BUILD_FLOAT"
echo "float/raw: registry bytes $(awk "BEGIN{printf \"%.3f\", ${BYTES[float]}/${BYTES[raw]}}"), pull time $(awk "BEGIN{printf \"%.2f\", ${T_PULL[float]}/${T_PULL[raw]}}")x; pull MB/s raw $(mbs "${T_PULL[raw]}"), float $(mbs "${T_PULL[float]}")"
echo "pulled files are byte-identical (cmp)"

# The codec alone, in memory, GOMAXPROCS = all cores.
CKPT_BENCH_FILE="$WORK/model/consolidated.safetensors" go test ./packaging/layer -run '^$' -bench 'BenchmarkCodecFile' -benchtime 3x -count 1 \
  | awk '/^BenchmarkCodecFile/ {
      name=$1; sub(/^BenchmarkCodecFile\//, "", name); sub(/-[0-9]+$/, "", name)
      mb=""; ratio=""
      for (i=1; i<=NF; i++) { if ($i=="MB/s") mb=$(i-1); if ($i=="ratio") ratio=$(i-1) }
      printf "codec %-17s %s%s MB/s\n", name, (ratio!="" ? "ratio " ratio "  " : ""), mb }'
