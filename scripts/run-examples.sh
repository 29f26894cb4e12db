#!/usr/bin/env bash
# Runs every built example once and fails if one fails. Examples write their
# data under a temporary directory.
# Usage: scripts/run-examples.sh BUILD_DIR
set -euo pipefail
dir=$(cd "${1:?build dir}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for ex in "$dir"/examples/*; do
  [ -x "$ex" ] || continue
  echo "--- ${ex##*/}"
  (cd "$tmp" && VELLIR_DATA_DIR="$tmp/${ex##*/}" "$ex")
  n=$((n + 1))
done
echo "$n examples ran"
