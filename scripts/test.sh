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

# ---- PostgreSQL upstream against a real server -------------------------------
# A private PostgreSQL 15 instance (scripts/pg-node.sh: installs Debian's
# package if missing, initdb in build/pg-node/data, 127.0.0.1:15432), the
# tests/pg suites in the plain, ASan+UBSan and TSan builds, and the instance
# stopped again on exit if this run started it. VELLIR_SKIP_PG=1 skips it.
if [ "${VELLIR_SKIP_PG:-0}" != 1 ]; then
  step "PostgreSQL test instance"
  pg_started_here=0
  if ! scripts/pg-node.sh status >/dev/null 2>&1; then
    pg_started_here=1
    trap 'if [ "$pg_started_here" = 1 ]; then scripts/pg-node.sh stop || true; fi' EXIT
    scripts/pg-node.sh start
  fi
  step "PostgreSQL tests (gcc)"
  make -j"$JOBS" test-pg
  step "PostgreSQL tests under ASan+UBSan"
  make -j"$JOBS" ASAN=1 test-pg
  step "PostgreSQL tests under TSan"
  make -j"$JOBS" TSAN=1 test-pg
fi

step "all passed"
