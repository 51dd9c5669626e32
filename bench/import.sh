#!/usr/bin/env bash
# Import speed and memory: a synthetic legacy site of N HTML pages
# (`tessera gen-legacy`) imported into an empty content folder, three times
# (each into a fresh folder). Usage: bench/import.sh [N] [TARGET_DIR]
set -euo pipefail
n="${1:-10000}"
target="${2:-${CARGO_TARGET_DIR:-target}}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$target/release/tessera"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" gen-legacy --pages "$n" --seed 1 "$work/site"
for run in 1 2 3; do
  rm -rf "$work/content" && mkdir "$work/content"
  cp "$root/content/site.toml" "$root/content/topics.toml" "$work/content/"
  /usr/bin/time -v "$bin" import --content "$work/content" --base-url https://www.unicef.org/ "$work/site" \
    > "$work/report.txt" 2> "$work/time.txt"
  wall="$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')"
  rss="$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')"
  echo "run $run: wall $wall, peak RSS ${rss} KB, $(tail -1 "$work/report.txt")"
done
"$bin" check "$work/content" | tail -1
