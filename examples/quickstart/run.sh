#!/usr/bin/env bash
# The quickstart, end to end, offline: synthesize a tiny Mistral-layout base
# model and a PEFT adapter, build (merge, runtime and license checks, eval
# gate, ModelPack bundle) and publish into an OCI layout folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ckpt="$root/bin/ckpt"
(cd "$root" && go build -o "$ckpt" ./cmd/ckpt)

rm -rf "$here/base" "$here/adapters" "$here/out" "$here/.ckpt"
"$ckpt" synth model "$here/base" --layout native --seed 1
"$ckpt" synth adapter "$here/adapters/support" --base "$here/base" --format peft \
  --rank 8 --alpha 16 --targets wq,wk,wv,wo --seed 2

"$ckpt" validate "$here"
"$ckpt" build "$here"
"$ckpt" push "$here"          # push "layout": writes ./out/oci, no registry needed
"$ckpt" inspect "oci:$here/out/oci:2026-11-27"
"$ckpt" ledger --dir "$here" 2>/dev/null || "$ckpt" ledger
