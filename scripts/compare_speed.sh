#!/usr/bin/env bash
# Compare `exod bench speed` of two exod binaries, alternating runs (the machine's noise is
# about ±5 %): prints each run's "read+bin+search = X× read" line and the median per binary.
#   scripts/compare_speed.sh OLD_BIN NEW_BIN [RUNS]
set -euo pipefail
old=$1; new=$2; runs=${3:-7}
tmp=$(mktemp -d)
for i in $(seq "$runs"); do
  for b in old new; do
    bin=${!b}
    line=$("$bin" bench speed --out "$tmp/$b" 2>&1 | grep "read+bin+search")
    echo "$b $line"
    echo "$line" | sed 's/.*= \([0-9.]*\)× read.*/\1/' >> "$tmp/$b.ratio"
    echo "$line" | sed 's/.*peak memory \([0-9]*\) MB.*/\1/' >> "$tmp/$b.mem"
  done
done
for b in old new; do
  echo "$b: median $(sort -n "$tmp/$b.ratio" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')× read, median peak $(sort -n "$tmp/$b.mem" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') MB"
done
rm -rf "$tmp"
