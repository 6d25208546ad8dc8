#!/usr/bin/env bash
# The release example, end to end, offline: synthesize an HF-layout base,
# two adapters (PEFT rsLoRA, mistral-finetune), a chat dataset and eval
# predictions stamped with the merged model's digest; build; show the license gate refusing commercial use; publish
# into ./out/oci and audit the result under two policies.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ckpt="$root/bin/ckpt"
(cd "$root" && go build -o "$ckpt" ./cmd/ckpt)

rm -rf "$here/base" "$here/adapters" "$here/data" "$here/evals" "$here/out" "$here/.ckpt"
"$ckpt" synth model "$here/base" --layout hf --shard-size 300KB --seed 11
"$ckpt" synth adapter "$here/adapters/tickets" --base "$here/base" --format peft --rank 16 --rslora --seed 12
"$ckpt" synth adapter "$here/adapters/style" --base "$here/base" --format mistral-finetune --rank 4 --targets wq,wv --seed 13
"$ckpt" synth dataset "$here/data" --n 50
"$ckpt" synth predictions "$here/evals" --n 200

"$ckpt" validate "$here"
# The predictions stand for outputs the merged model gave elsewhere: stamp
# them with its digest (eval steps refuse predictions of another model).
"$ckpt" build "$here" --only merge.release
"$ckpt" eval stamp "$here/evals/predictions.jsonl" --dir "$here" --target merge.release --out "$here/evals/predictions.jsonl"
"$ckpt" build "$here"
if "$ckpt" build "$here" --var use=commercial; then
  echo "the license gate let commercial use through" >&2
  exit 1
fi
"$ckpt" push "$here"
"$ckpt" audit "oci:$here/out/oci:2026-11-27"
"$ckpt" audit --policy "$here/policies/commercial.hcl" "oci:$here/out/oci:2026-11-27" || true
