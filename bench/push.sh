#!/usr/bin/env bash
# ckpt push/pull against oras push/pull: the same synthetic 2 GiB bf16
# Mistral model (N(0, 0.02) weights), the same local docker-registry on a
# free 127.0.0.1 port, in one run. ckpt builds a spec (model "dir" →
# bundle "modelpack" → push "registry"); the bundle is built before the
# clock starts, as oras is given the files directly. Then a re-push of the
# unchanged model (a new tag), the same without the store's verification
# stamps (every blob hashed again), and pulls by both, checked byte for byte.
#
# usage: bench/push.sh            (WORK=/some/dir WORK_KEEP=1 to keep the files; LAYERS=n for the size)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
WORK=${WORK:-$(mktemp -d)}
[ -n "${WORK_KEEP:-}" ] || trap 'stop_registry; rm -rf "$WORK"' EXIT
LAYERS=${LAYERS:-21}
[ -z "${WORK_KEEP:-}" ] || trap stop_registry EXIT
command -v oras >/dev/null || PATH="$PATH:$(go env GOPATH)/bin"
command -v oras >/dev/null || { echo "oras is not installed: GOFLAGS= go install oras.land/oras/cmd/oras@v1.3.6" >&2; exit 1; }

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
variable "tag" { default = "v1" }
model "dir" "m" {
  path    = "$WORK/model"
  id      = "bench-mistral-2g"
  license = "Apache-2.0"
}
bundle "modelpack" "b" {
  from = model.m
  name = "bench"
}
push "registry" "r" {
  bundle     = bundle.b
  ref        = "$REG/bench/ckpt:\${var.tag}"
  plain_http = true
}
HCL

now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.2f\", $2-$1}"; }
mbs() { awk "BEGIN{printf \"%.0f\", $SIZE/1e6/$1}"; }

echo "model: $SIZE bytes in $(ls "$WORK/model" | wc -l) files; registry: docker-registry $REG"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: figures vary)"
cat "$WORK"/model/* > /dev/null

t0=$(now); "$CKPT" build "$WORK/spec" >/dev/null; t1=$(now); T_BUNDLE=$(secs "$t0" "$t1")

t0=$(now); "$CKPT" push "$WORK/spec" >/dev/null; t1=$(now); T_CKPT=$(secs "$t0" "$t1")

(cd "$WORK/model" && t0=$(now) && oras push --plain-http "$REG/bench/oras:v1" \
  --artifact-type application/vnd.cncf.model.manifest.v1+json \
  consolidated.safetensors:application/vnd.cncf.model.weight.v1.raw \
  params.json:application/vnd.cncf.model.weight.config.v1.raw \
  tekken.json:application/vnd.cncf.model.weight.config.v1.raw \
  generation_config.json:application/vnd.cncf.model.weight.config.v1.raw \
  chat_template.jinja:application/vnd.cncf.model.weight.config.v1.raw >/dev/null && t1=$(now) && secs "$t0" "$t1" > "$WORK/t_oras")
T_ORAS=$(cat "$WORK/t_oras")

t0=$(now); "$CKPT" push "$WORK/spec" --var tag=v2 >/dev/null; t1=$(now); T_REPUSH=$(secs "$t0" "$t1")
# The same without the store's verification stamps: every blob handed to
# the push step is hashed again (what each re-push cost before stamps).
rm -rf "$WORK/spec/.ckpt/store/verified"
t0=$(now); "$CKPT" push "$WORK/spec" --var tag=v3 >/dev/null; t1=$(now); T_REPUSH_HASH=$(secs "$t0" "$t1")

# The transfer alone: the built bundle (exported from the store as hard
# links) pushed by ckpt push --bundle to a new repository, then again.
"$CKPT" export --dir "$WORK/spec" bundle.b "$WORK/bundle" >/dev/null
t0=$(now); "$CKPT" push --bundle "$WORK/bundle" "$REG/bench/ckpt-bundle:v1" --plain-http >/dev/null 2>&1; t1=$(now); T_BUNDLE_PUSH=$(secs "$t0" "$t1")
t0=$(now); "$CKPT" push --bundle "$WORK/bundle" "$REG/bench/ckpt-bundle:v1" --plain-http >/dev/null 2>&1; t1=$(now); T_BUNDLE_REPUSH=$(secs "$t0" "$t1")

t0=$(now); "$CKPT" pull "$REG/bench/ckpt:v1" "$WORK/pull-ckpt" --plain-http >/dev/null 2>&1; t1=$(now); T_PULL_CKPT=$(secs "$t0" "$t1")
t0=$(now); oras pull --plain-http "$REG/bench/oras:v1" -o "$WORK/pull-oras" >/dev/null; t1=$(now); T_PULL_ORAS=$(secs "$t0" "$t1")
for f in "$WORK"/model/*; do
  cmp "$f" "$WORK/pull-ckpt/$(basename "$f")"
  cmp "$f" "$WORK/pull-oras/$(basename "$f")"
done

printf '%-34s %7ss\n' "ckpt build (hash + bundle layout)" "$T_BUNDLE"
printf '%-34s %7ss  %5s MB/s\n' "ckpt push (spec: plan, plugin, push)" "$T_CKPT" "$(mbs "$T_CKPT")"
printf '%-34s %7ss  %5s MB/s\n' "ckpt push --bundle (transfer only)" "$T_BUNDLE_PUSH" "$(mbs "$T_BUNDLE_PUSH")"
printf '%-34s %7ss  %5s MB/s\n' "oras push" "$T_ORAS" "$(mbs "$T_ORAS")"
printf '%-34s %7ss  (%s%% of the first push)\n' "ckpt re-push (spec, new tag)" "$T_REPUSH" "$(awk "BEGIN{printf \"%.1f\", 100*$T_REPUSH/$T_CKPT}")"
printf '%-34s %7ss  (%s%% of the first push)\n' "ckpt re-push, blobs re-hashed" "$T_REPUSH_HASH" "$(awk "BEGIN{printf \"%.1f\", 100*$T_REPUSH_HASH/$T_CKPT}")"
printf '%-34s %7ss  (%s%% of the first push)\n' "ckpt re-push --bundle, unchanged" "$T_BUNDLE_REPUSH" "$(awk "BEGIN{printf \"%.1f\", 100*$T_BUNDLE_REPUSH/$T_BUNDLE_PUSH}")"
printf '%-34s %7ss  %5s MB/s\n' "ckpt pull" "$T_PULL_CKPT" "$(mbs "$T_PULL_CKPT")"
printf '%-34s %7ss  %5s MB/s\n' "oras pull" "$T_PULL_ORAS" "$(mbs "$T_PULL_ORAS")"
echo "ratios (oras time / ckpt time, > 1: ckpt faster): push (spec) $(awk "BEGIN{printf \"%.2f\", $T_ORAS/$T_CKPT}"), push --bundle $(awk "BEGIN{printf \"%.2f\", $T_ORAS/$T_BUNDLE_PUSH}"), pull $(awk "BEGIN{printf \"%.2f\", $T_PULL_ORAS/$T_PULL_CKPT}")"
echo "pulled files are byte-identical (cmp)"
