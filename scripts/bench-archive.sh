#!/usr/bin/env bash
# Archive-scale figures of the README (2 cores here): a simulated archive of N observations of
# EXPOSURE seconds each through `exod batch` (observations per hour per core, peak memory) and
# `exod catalog`, timed with GNU time. Usage: scripts/bench-archive.sh [N] [EXPOSURE] [WORKDIR]
set -euo pipefail
n=${1:-50}; exposure=${2:-50000}; work=${3:-target/bench-archive}
cd "$(dirname "$0")/.."
cargo build --release --locked -q
exod=target/release/exod
rm -rf "$work"; mkdir -p "$work"
cores=$(nproc)
t() { /usr/bin/time -f "%e s wall, %M kB peak" "$@"; }
echo "== exod simulate-archive: $n observations of $exposure s"
t $exod -q simulate-archive --out "$work/archive" --observations "$n" --exposure "$exposure" 2>&1 | tail -1
echo "== exod batch (all $cores cores)"
start=$(date +%s.%N)
t $exod -q batch "$work/archive" --out "$work/batch" 2>&1 | tail -1
end=$(date +%s.%N)
awk -v n="$n" -v s="$start" -v e="$end" -v c="$cores" 'BEGIN { w = e - s; printf "%d observations in %.1f s: %.0f observations per hour per core\n", n, w, n / (w / 3600) / c }'
echo "== exod batch again (every unit reused)"
t $exod -q batch "$work/archive" --out "$work/batch" 2>&1 | tail -1
echo "== exod catalog"
t $exod -q catalog "$work/batch" --out "$work/catalog" 2>&1 | tail -1
grep -E '"n_detections"|"n_sources"|"n_hot_areas"' "$work/catalog/catalog.json"
