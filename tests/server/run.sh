#!/usr/bin/env bash
# run.sh -- vellir-server's end-to-end tests, against clients nobody here
# wrote (redis-cli, Debian's python3-redis, hiredis) and side by side with
# Debian's redis-server 7.0.
#
#   tests/server/run.sh [BUILD_DIR]      (default build/default; make server-test)
#
# Starts the built server (4 shards, SQLite in a temporary data directory)
# and a redis-server, each on a free loopback port; runs the suites; stops
# both by their pids (the server must exit 0: it commits every write first).
# Suites that need servers of their own (restarts, output limits) start
# and stop them themselves. Exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build/default}
SERVER=$B/vellir-server
HIREDIS=$B/tests/server/test_hiredis
PY=/usr/bin/python3      # Debian's python3, where python3-redis lives
T=tests/server
[ -x "$SERVER" ] || { echo "run.sh: $SERVER is not built (make $SERVER)"; exit 2; }
[ -x "$HIREDIS" ] || { echo "run.sh: $HIREDIS is not built (make server-test)"; exit 2; }
$PY -c 'import redis' 2>/dev/null || { echo "run.sh: $PY cannot import redis (apt-get install python3-redis)"; exit 2; }

tmp=$(mktemp -d)
vpid=""; rpid=""
cleanup() {
  [ -n "$vpid" ] && kill -0 "$vpid" 2>/dev/null && kill -TERM "$vpid" && wait "$vpid"
  [ -n "$rpid" ] && kill -0 "$rpid" 2>/dev/null && kill -TERM "$rpid" && wait "$rpid"
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # PORT PID
  for _ in $(seq 200); do
    kill -0 "$2" 2>/dev/null || return 1
    $PY -c "import socket,sys; c=socket.create_connection(('127.0.0.1',$1),0.5); c.sendall(b'PING\r\n'); sys.exit(0 if c.recv(9).startswith(b'+PONG') else 1)" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

VPORT=$(free_port)
# VELLIR_SERVER_PREFIX: e.g. "setarch x86_64 -R" for TSan builds (make sets it).
${VELLIR_SERVER_PREFIX:-} "$SERVER" --port "$VPORT" --data-dir "$tmp/vellir" --shards 4 >"$tmp/vellir.log" 2>&1 &
vpid=$!
wait_up "$VPORT" "$vpid" || { echo "run.sh: vellir-server did not start:"; cat "$tmp/vellir.log"; exit 1; }
echo "vellir-server pid $vpid on 127.0.0.1:$VPORT ($(head -1 "$tmp/vellir.log"))"

fail=0
suite() { # NAME COMMAND...
  local name=$1; shift
  echo "---- $name"
  if "$@"; then echo "---- $name: passed"; else echo "---- $name: FAILED"; fail=$((fail + 1)); fi
}

if command -v redis-server >/dev/null; then
  RPORT=$(free_port)
  redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --daemonize no >"$tmp/redis.log" 2>&1 &
  rpid=$!
  wait_up "$RPORT" "$rpid" || { echo "run.sh: redis-server did not start"; exit 1; }
  suite "replies vs redis-server $(redis-server --version | awk '{print $3}')" $PY $T/test_compare.py "$VPORT" "$RPORT"
  kill -TERM "$rpid"; wait "$rpid"; rpid=""
else
  echo "---- (redis-server not installed: the side-by-side comparison is skipped)"
fi
suite "redis-py" $PY $T/test_commands.py "$VPORT"
suite "hiredis" "$HIREDIS" "$VPORT"
suite "redis-cli" $T/test_cli.sh "$VPORT"
suite "protocol" $PY $T/test_protocol.py "$VPORT" "$SERVER"

echo "---- stopping vellir-server (SIGTERM)"
kill -TERM "$vpid"
wait "$vpid"; code=$?
vpid=""
tail -2 "$tmp/vellir.log"
if [ "$code" -ne 0 ]; then echo "vellir-server exited $code"; fail=$((fail + 1)); fi
if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|WARNING: ThreadSanitizer\|runtime error:" "$tmp/vellir.log"; then
  echo "sanitizer reports in the server's log:"; grep -A20 "Sanitizer\|runtime error" "$tmp/vellir.log" | head -60
  fail=$((fail + 1))
fi

suite "restart and durability" $PY $T/test_restart.py "$SERVER"
suite "upstream options, passwords, failed starts" $PY $T/test_upstreams.py "$SERVER"
suite "scan over a table larger than memory" $PY $T/test_scan.py "$SERVER"

if [ "$fail" -eq 0 ]; then echo "server tests: all suites passed"; else echo "server tests: $fail suite(s) failed"; fi
[ "$fail" -eq 0 ]
