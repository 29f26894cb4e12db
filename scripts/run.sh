#!/usr/bin/env bash
# The main job: installs what is missing, builds vellir, and runs the counter
# example on the embedded default, SQLite: counters written back through the
# cache into a database file, then read back from it to check.
#
#   scripts/run.sh                       data in ./data
#   VELLIR_DATA_DIR=/some/dir scripts/run.sh
#
# The counters accumulate across runs: each run adds 10000 to page:home.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc)" lib examples
data=${VELLIR_DATA_DIR:-./data}
mkdir -p "$data"
data=$(cd "$data" && pwd)
echo
echo "running build/default/examples/counter with VELLIR_DATA_DIR=$data"
VELLIR_DATA_DIR="$data" build/default/examples/counter "$@"
echo
echo "the data file is $data/counter.db; look inside with:"
echo "  sqlite3 $data/counter.db 'SELECT key, hex(value), expires_at FROM counters'"
