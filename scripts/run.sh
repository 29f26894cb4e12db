#!/usr/bin/env bash
# The main job: installs what is missing, builds vellir, and starts
# vellir-server on 127.0.0.1:6380 with its embedded default upstream,
# SQLite, in ./data (data/vellir.db). Use it with any Redis client, e.g.
# redis-cli in another terminal:
#
#   redis-cli -p 6380 SET greeting hello
#   redis-cli -p 6380 GET greeting
#   redis-cli -p 6380 INFO vellir
#
# Ctrl-C (or SIGTERM, or redis-cli -p 6380 SHUTDOWN) stops it; every write
# is committed to data/vellir.db first, and the next start reads it back.
#
#   scripts/run.sh                           data in ./data, port 6380
#   scripts/run.sh --port 7000 --shards 4    any vellir-server option (--help)
#   VELLIR_DATA_DIR=/some/dir scripts/run.sh
#
# The library's examples (the counter on SQLite, quickstart, ...) run with
# scripts/run-examples.sh build/default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc)" build/default/vellir-server
data=${VELLIR_DATA_DIR:-./data}
mkdir -p "$data"
data=$(cd "$data" && pwd)
cat <<MSG

vellir-server: data in $data/vellir.db. In another terminal:

    redis-cli -p 6380 SET greeting hello
    redis-cli -p 6380 GET greeting
    redis-cli -p 6380 INCR visits
    redis-cli -p 6380 HSET user:1 name Ada lang C
    redis-cli -p 6380 HGETALL user:1
    redis-cli -p 6380 INFO vellir           # what the cache and SQLite did
    redis-benchmark -p 6380 -t set,get -q   # how fast

Stop it with Ctrl-C (every write is committed first).

MSG
exec build/default/vellir-server --data-dir "$data" "$@"
