#!/usr/bin/env bash
# Installs the Debian packages vellir builds and tests with, if missing.
# Idempotent; needs root (or sudo) only when something is missing.
#
#   scripts/deps.sh           build + test dependencies
#   scripts/deps.sh --bench   those, plus what the benchmarks' plots need
#   scripts/deps.sh --check   exit 1 (and list them) if any are missing
set -euo pipefail

PKGS=(
  build-essential pkg-config clang libclang-rt-14-dev   # compilers, sanitizers, libFuzzer
  libuv1-dev libxxhash-dev libcbor-dev libsqlite3-dev    # libvellir
  libpq-dev postgresql                                   # PostgreSQL upstream + test instance
  redis-tools redis-server libhiredis-dev python3-redis  # server tests and benchmarks
  python3-cassandra python3-cbor2                        # Cassandra/PG cross-checks
  openjdk-17-jdk-headless maven                          # the Cassandra test node
  zstd procps iproute2 curl                              # traces, process and port checks
)

# Only for the benchmarks' plots: scripts/deps.sh --bench
BENCH_PKGS=(python3-matplotlib hyperfine)
if [ "${1:-}" = "--bench" ]; then PKGS+=("${BENCH_PKGS[@]}"); shift; fi

missing=()
for p in "${PKGS[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${1:-}" = "--check" ]; then
  if [ ${#missing[@]} -gt 0 ]; then echo "missing: ${missing[*]}"; exit 1; fi
  echo "all dependencies installed"; exit 0
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
