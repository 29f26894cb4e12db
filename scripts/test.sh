#!/usr/bin/env bash
# The whole test suite, from a fresh machine. This is the README's test
# command and what CI runs (.ci/run). It installs what it needs, builds with
# gcc and clang (-Werror), runs every test in the plain, ASan+UBSan and TSan
# builds, replays the fuzz corpora, and runs the examples. Any failure fails
# the run.
#
#   scripts/test.sh            everything
#   scripts/test.sh --quick    plain build and tests only
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
t0=$SECONDS
step() { printf '\n==== %s  (+%ds)\n' "$*" $((SECONDS - t0)); }

step "dependencies"
scripts/deps.sh

step "build and test (gcc)"
make -j"$JOBS" all
make -j"$JOBS" test

step "examples"
scripts/run-examples.sh build/default

[ "${1:-}" = "--quick" ] && { step "done (quick)"; exit 0; }

step "build (clang, -Werror)"
make -j"$JOBS" CC=clang all

step "tests under ASan+UBSan"
make -j"$JOBS" ASAN=1 test

step "tests under TSan"
make -j"$JOBS" TSAN=1 test

step "fuzz corpora replay (ASan+UBSan)"
make -j"$JOBS" ASAN=1 fuzz-replay

# ---- Cassandra: the real node (self-contained section) ----------------------
# Installs the Cassandra 5.0.9 test node (Maven Central jars; python3-cassandra
# and python3-cbor2 from Debian for the cross-check), starts it once, runs
# the suites that need it in the plain and ASan builds, and stops it on exit,
# whatever happens. The node lives in this checkout's build dir unless
# VELLIR_CASSANDRA_DIR says otherwise. Skip with VELLIR_SKIP_CASSANDRA=1.
if [ "${VELLIR_SKIP_CASSANDRA:-0}" != 1 ]; then
    step "Cassandra node: install and start"
    export VELLIR_CASSANDRA_DIR="${VELLIR_CASSANDRA_DIR:-$PWD/build/cassandra-node/run}"
    if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            openjdk-17-jdk-headless maven
    fi
    scripts/cassandra-node.sh install
    if ! /usr/bin/python3 -c 'import cbor2' 2>/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-cbor2 ||
            echo "python3-cbor2 unavailable: the cross-check compares raw CBOR bytes instead"
    fi
    cass_started=0
    cass_stop() { [ "$cass_started" = 1 ] && scripts/cassandra-node.sh stop || true; }
    trap cass_stop EXIT
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
    cass_stop
    cass_started=0
fi

step "all passed"
