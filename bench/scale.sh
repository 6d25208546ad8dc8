#!/usr/bin/env bash
# Scale benchmark (issue 17): a sharded bf16 HF model of at least SIZE
# (default 10GiB) and a rank-64 PEFT adapter on every linear layer, made by
# ckpt synth; then, in the same run on the same data: ckpt's merge against
# cp of the same shards, and the numpy reference (bench/merge_numpy.py) on
# one shard against ckpt's rate on the same bytes; then ckpt push --bundle
# and ckpt pull of the base's ModelPack bundle against oras push and pull of
# the same shards, each on a fresh local docker-registry (so that neither
# finds the other's blobs). Prints times, ratios and the peak RSS of each.
# Goals: merge <= 1.5x cp, merge RSS < 2 GB, push and pull >= 1.0x oras.
#
# usage: bench/scale.sh   (SIZE=2GiB SHARD=512MiB for a quick run;
#                          WORK=DIR WORK_KEEP=1 to keep the files; needs
#                          about 3x SIZE of free disk)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
SIZE=${SIZE:-10GiB}
SHARD=${SHARD:-2GiB}
WORK=${WORK:-$(mktemp -d)}
. bench/registry.sh
if [ -n "${WORK_KEEP:-}" ]; then trap stop_registry EXIT; else trap 'stop_registry; rm -rf "$WORK"' EXIT; fi
command -v oras >/dev/null || PATH="$PATH:$(go env GOPATH)/bin"

go build -o "$WORK/ckpt" ./cmd/ckpt
CKPT="$WORK/ckpt"
now() { date +%s.%N; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $(df -h "$WORK" | awk 'NR==2{print $4}') free in $WORK"

# run NAME OUTFILE CMD...: times CMD to its return and to durability (sync
# of OUTFILE's file system), after flushing earlier writes; records RSS.
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
rm -f "$WORK/results.txt"

if [ ! -f "$WORK/base/model.safetensors.index.json" ]; then
  run synth "$WORK/base/config.json" "$CKPT" synth model "$WORK/base" --size "$SIZE" --layout hf --shard-size "$SHARD" --seed 1
  "$CKPT" synth adapter "$WORK/lora" --base "$WORK/base" --format peft --rank 64 --seed 2
fi
BYTES=$(cat "$WORK"/base/model-*.safetensors | wc -c)
FIRST=$(ls "$WORK"/base/model-*.safetensors | head -1)
ONE=$(stat -c %s "$FIRST")
echo "base: $BYTES bytes ($(awk "BEGIN{printf \"%.2f\", $BYTES/2^30}") GiB) bf16 in $(ls "$WORK"/base/model-*.safetensors | wc -l) shards; $(jq -r .num_hidden_layers "$WORK/base/config.json" 2>/dev/null || echo '?') layers; adapter: rank 64 on every linear"

mkdir -p "$WORK/cp"
run cp "$WORK/cp" cp "$WORK"/base/model-*.safetensors "$WORK/cp/"
rm -rf "$WORK/cp"
run ckpt "$WORK/out" "$CKPT" synth merge "$WORK/out" --base "$WORK/base" --adapter "$WORK/lora:peft"
rm -rf "$WORK/out"
mkdir -p "$WORK/cp1"
run cp1 "$WORK/cp1" cp "$FIRST" "$WORK/cp1/"
rm -rf "$WORK/cp1"
run numpy1 "$WORK/np" "$PY" bench/merge_numpy.py "$WORK/base" "$WORK/lora" "$WORK/np" "$(basename "$FIRST")"
rm -rf "$WORK/np"

# push and pull: the base as a ModelPack bundle (built, then exported from
# the store as links) against oras with the same shards.
mkdir -p "$WORK/spec"
cat > "$WORK/spec/bench.ckpt.hcl" <<HCL
model "dir" "m" {
  path    = "$WORK/base"
  id      = "bench-scale"
  license = "Apache-2.0"
}
bundle "modelpack" "b" {
  from = model.m
  name = "bench-scale"
}
HCL
"$CKPT" build "$WORK/spec" >/dev/null
"$CKPT" export --dir "$WORK/spec" bundle.b "$WORK/bundle" >/dev/null
fresh_registry() { stop_registry; rm -rf "$WORK/registry"; start_registry "$WORK/registry"; }
fresh_registry
run push "$WORK/registry" "$CKPT" push --bundle "$WORK/bundle" "$REG/bench/ckpt:v1" --plain-http
run pull "$WORK/pull" "$CKPT" pull "$REG/bench/ckpt:v1" "$WORK/pull" --plain-http
cmp "$FIRST" "$WORK/pull/$(basename "$FIRST")"
rm -rf "$WORK/pull"
fresh_registry
files=()
for f in "$WORK"/base/*; do
  case $f in *.safetensors) mt=application/vnd.cncf.model.weight.v1.raw ;; *) mt=application/vnd.cncf.model.weight.config.v1.raw ;; esac
  files+=("$(basename "$f"):$mt")
done
(cd "$WORK/base" && run oras_push "$WORK/registry" oras push --plain-http "$REG/bench/oras:v1" \
  --artifact-type application/vnd.cncf.model.manifest.v1+json "${files[@]}")
run oras_pull "$WORK/pull" oras pull --plain-http "$REG/bench/oras:v1" -o "$WORK/pull"
cmp "$FIRST" "$WORK/pull/$(basename "$FIRST")"
rm -rf "$WORK/pull" "$WORK/registry"

awk -v size="$BYTES" -v one="$ONE" '
  { t[$1]=$2; d[$1]=$3; rss[$1]=$4; cpu[$1]=$5 }
  END {
    printf "%-22s %9s %10s %9s %9s\n", "", "time (s)", "durable(s)", "CPU (s)", "RSS (MB)"
    split("synth cp ckpt cp1 numpy1 push oras_push pull oras_pull", names, " ")
    for (i = 1; i <= 9; i++) { n = names[i]; if (!(n in t)) continue
      printf "%-22s %9.2f %10.2f %9.2f %9.0f\n", n, t[n], d[n], cpu[n], rss[n]/1024 }
    if ("synth" in t) printf "synth model: %.2f GB/s durable\n", size/d["synth"]/1e9
    printf "merge: %.2fx cp (durable %.2fx), %.0f MB/s, peak RSS %.0f MB\n", t["ckpt"]/t["cp"], d["ckpt"]/d["cp"], size/d["ckpt"]/1e6, rss["ckpt"]/1024
    ckpt1 = d["ckpt"]*one/size
    printf "one shard (%.2f GB): numpy %.2f s, %.2fx cp of it; ckpt at its whole-model rate %.2f s: numpy/ckpt %.2fx; numpy RSS %.0f MB\n", one/1e9, d["numpy1"], d["numpy1"]/d["cp1"], ckpt1, d["numpy1"]/ckpt1, rss["numpy1"]/1024
    printf "push: ckpt %.2f s, oras %.2f s: %.2fx oras; pull: ckpt %.2f s (durable %.2f), oras %.2f s (durable %.2f): %.2fx oras\n", t["push"], t["oras_push"], t["oras_push"]/t["push"], t["pull"], d["pull"], t["oras_pull"], d["oras_pull"], d["oras_pull"]/d["pull"]
    printf "goals: merge <= 1.5x cp: %s; merge RSS < 2 GB: %s; push >= 1.0x oras: %s; pull >= 1.0x oras: %s\n", (d["ckpt"] <= 1.5*d["cp"] ? "yes" : "no"), (rss["ckpt"]*1024 < 2e9 ? "yes" : "no"), (t["push"] <= t["oras_push"] ? "yes" : "no"), (d["pull"] <= d["oras_pull"] ? "yes" : "no")
  }' "$WORK/results.txt"
