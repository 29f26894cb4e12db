#!/usr/bin/env bash
# The whole test suite, from a fresh machine. This is the README's test
# command and what CI runs (.ci/run). It installs what it needs, builds with
# gcc and clang (-Werror), runs every test in the plain, ASan+UBSan and TSan
# builds (vellir-server's end-to-end suites included), replays the fuzz
# corpora, runs the examples, and checks `make install` (scripts/
# test-install.sh), then runs the PostgreSQL suites on a private instance
# and the Cassandra suites on a single node and on a three-node cluster.
# Any failure fails the run.
#
#   scripts/test.sh            everything
#   scripts/test.sh --quick    plain build and tests only
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}

# Servers this run starts are stopped on exit, by their own scripts (which
# stop them by their pids), whatever happens.
pg_started_here=0
cass_started=0
cluster_started=0
cleanup() {
  if [ "$pg_started_here" = 1 ]; then scripts/pg-node.sh stop || true; fi
  if [ "$cass_started" = 1 ]; then scripts/cassandra-node.sh stop || true; fi
  if [ "$cluster_started" = 1 ]; then scripts/cassandra-cluster.sh stop || true; fi
}
trap cleanup EXIT
t0=$SECONDS
step() { printf '\n==== %s  (+%ds)\n' "$*" $((SECONDS - t0)); }

step "dependencies"
scripts/deps.sh

step "build and test (gcc)"
make -j"$JOBS" all
make -j"$JOBS" check-layers
make -j"$JOBS" test

step "examples"
scripts/run-examples.sh build/default

step "make install into a temporary root, quickstart against it (shared and static)"
JOBS="$JOBS" scripts/test-install.sh

# ---- vellir-server end to end (self-contained section) ----------------------
# tests/server/run.sh: the built server (4 shards, SQLite in a temporary
# directory, a free loopback port) against redis-cli, Debian's python3-redis
# and hiredis, byte for byte against Debian's redis-server 7.0, plus protocol
# errors, stalled readers, output limits, restarts and kill -9. It stops
# every server it started by pid. The ASan+UBSan and TSan runs come below.
step "vellir-server end to end (gcc)"
make -j"$JOBS" server-test

[ "${1:-}" = "--quick" ] && { step "done (quick)"; exit 0; }

step "build (clang, -Werror)"
make -j"$JOBS" CC=clang all

step "tests under ASan+UBSan"
make -j"$JOBS" ASAN=1 test

step "tests under TSan"
make -j"$JOBS" TSAN=1 test

step "fuzz corpora replay (ASan+UBSan)"
make -j"$JOBS" ASAN=1 fuzz-replay

step "vellir-server end to end under ASan+UBSan"
make -j"$JOBS" ASAN=1 server-test

step "vellir-server end to end under TSan"
make -j"$JOBS" TSAN=1 server-test

# ---- PostgreSQL upstream against a real server -------------------------------
# A private PostgreSQL 15 instance (scripts/pg-node.sh: installs Debian's
# package if missing, initdb in build/pg-node/data, 127.0.0.1:15432), the
# tests/pg suites and vellir-server in front of it (make server-test-pg,
# about 5 s a build) in the plain, ASan+UBSan and TSan builds, and the
# instance stopped again on exit if this run started it. VELLIR_SKIP_PG=1
# skips it.
if [ "${VELLIR_SKIP_PG:-0}" != 1 ]; then
  step "PostgreSQL test instance"
  if ! scripts/pg-node.sh status >/dev/null 2>&1; then
    pg_started_here=1
    scripts/pg-node.sh start
  fi
  step "PostgreSQL tests (gcc)"
  make -j"$JOBS" test-pg
  step "PostgreSQL tests under ASan+UBSan"
  make -j"$JOBS" ASAN=1 test-pg
  step "PostgreSQL tests under TSan"
  make -j"$JOBS" TSAN=1 test-pg
  step "vellir-server in front of PostgreSQL (gcc, ASan+UBSan, TSan)"
  make -j"$JOBS" server-test-pg
  make -j"$JOBS" ASAN=1 server-test-pg
  make -j"$JOBS" TSAN=1 server-test-pg
  if [ "$pg_started_here" = 1 ]; then scripts/pg-node.sh stop; pg_started_here=0; fi
fi

# ---- Cassandra: the real node (self-contained section) ----------------------
# Installs the Cassandra 5.0.9 test node (Maven Central jars), starts it once, runs
# the suites that need it in the plain and ASan builds, and stops it on exit,
# whatever happens. The node lives in this checkout's build dir unless
# VELLIR_CASSANDRA_DIR says otherwise. Skip with VELLIR_SKIP_CASSANDRA=1.
if [ "${VELLIR_SKIP_CASSANDRA:-0}" != 1 ]; then
    step "Cassandra node: install and start"
    export VELLIR_CASSANDRA_DIR="${VELLIR_CASSANDRA_DIR:-$PWD/build/cassandra-node/run}"
    scripts/cassandra-node.sh install  # JDK 17, Maven, python3-cbor2: scripts/deps.sh
    cass_t0=$(date +%s%N)
    scripts/cassandra-node.sh start
    cass_started=1
    printf 'Cassandra node took %d.%01d s to start\n' \
        $((($(date +%s%N) - cass_t0) / 1000000000)) $((($(date +%s%N) - cass_t0) / 100000000 % 10))

    step "Cassandra suites (gcc)"
    make -j"$JOBS" test-cassandra

    step "Cassandra suites under ASan+UBSan"
    make -j"$JOBS" ASAN=1 test-cassandra

    step "Cassandra node: stop"
    scripts/cassandra-node.sh stop
    cass_started=0
fi

# ---- Cassandra: the three-node cluster (self-contained section) -------------
# scripts/cassandra-cluster.sh: nodes on 127.0.0.1, .2 and .3 (the same jars
# as the single node, which must be stopped: node 1 takes its ports), one
# after another, and keyspace vellir_cluster at RF 3; then the suites that
# need it (tests/cassandra-cluster: routing, a node restarted under writes)
# in the plain and ASan builds; the cluster is stopped on exit, whatever
# happens. About 3 minutes. Skip with VELLIR_SKIP_CASSANDRA_CLUSTER=1 (or
# VELLIR_SKIP_CASSANDRA=1, which skips both Cassandra sections).
if [ "${VELLIR_SKIP_CASSANDRA:-0}" != 1 ] && [ "${VELLIR_SKIP_CASSANDRA_CLUSTER:-0}" != 1 ]; then
    step "Cassandra cluster: start three nodes"
    cluster_started=1
    scripts/cassandra-cluster.sh start

    step "Cassandra cluster suites (gcc)"
    make -j"$JOBS" test-cassandra-cluster

    step "Cassandra cluster suites under ASan+UBSan"
    make -j"$JOBS" ASAN=1 test-cassandra-cluster

    step "Cassandra cluster: stop"
    scripts/cassandra-cluster.sh stop
    cluster_started=0
fi

step "all passed"
