#!/usr/bin/env bash
# Store ingest and path fingerprint benchmark: ckpt's PutDir (hash in place, fsync, rename into
# blobs/) against sha256sum over the same 256 MiB file set (4 x 64 MiB).
# Usage: bash bench/store.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in 0 1 2 3; do head -c $((64 << 20)) /dev/urandom > "$tmp/model-0000$i.safetensors"; done
sync
echo "== peer: sha256sum (no fsync) over 256 MiB"
start=$(date +%s.%N)
sha256sum "$tmp"/*.safetensors > /dev/null
end=$(date +%s.%N)
peer=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", 268.435456 / (e - s) }')
echo "sha256sum: $peer MB/s"
# ratio prints each benchmark line with its MB/s as a multiple of sha256sum's.
ratio() { awk -v peer="$peer" '/^Benchmark/ { for (i = 1; i < NF; i++) if ($(i+1) == "MB/s") r = sprintf("  %.2fx sha256sum", $i / peer); print $0 r; r = "" }'; }
echo "== ckpt: store.PutDir (hash, fsync, rename) and Materialize (verify, hard link) over 256 MiB"
go test -run '^$' -bench '^Benchmark(PutDir|Materialize)$' -benchtime 3x ./packaging/store | ratio
echo "== ckpt: path fingerprint of a 256 MiB folder (cache key of a step reading it): cold = every file hashed, warm = hash cache"
go test -run '^$' -bench '^BenchmarkFingerprint$' -benchtime 3x ./pipeline/run | ratio
