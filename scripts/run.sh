#!/usr/bin/env bash
# The main job: installs what is missing, builds vellir, and runs the
# quickstart example (counters written back through the cache).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc)" all
echo
exec build/default/examples/quickstart "$@"
