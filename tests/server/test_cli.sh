#!/usr/bin/env bash
# test_cli.sh -- vellir-server through redis-cli (Debian's redis-tools):
# plain and --raw output, RESP3 (-3), repeats (-r), INFO, a mass
# insertion with --pipe (100,000 SETs, then DBSIZE and spot checks), and
# the keyspace tools (--scan, --pattern, --bigkeys, --memkeys).
#
# Usage: tests/server/test_cli.sh PORT
# Owns: nothing but temporary files. It flushes the server.
set -u
PORT=${1:?port}
CLI=(redis-cli -h 127.0.0.1 -p "$PORT")
fail=0; n=0
check() { # check NAME EXPECTED ACTUAL
  n=$((n + 1))
  if [ "$2" == "$3" ]; then echo "ok - $1"; else echo "FAIL - $1: expected [$2] got [$3]"; fail=$((fail + 1)); fi
}

check "flushall" "OK" "$("${CLI[@]}" FLUSHALL)"
check "set" "OK" "$("${CLI[@]}" SET greeting hello)"
check "get" "hello" "$("${CLI[@]}" GET greeting)"
check "get missing (tty-less output is empty)" "" "$("${CLI[@]}" GET nokey)"
check "incr" "1" "$("${CLI[@]}" INCR n)"
check "repeat -r 99" "100" "$("${CLI[@]}" -r 99 INCR n | tail -1)"
check "hset" "2" "$("${CLI[@]}" HSET h a 1 b 2)"
check "hgetall" "$(printf 'a\n1\nb\n2')" "$("${CLI[@]}" HGETALL h)"
check "resp3 hgetall (-3)" "$(printf '1# "a" => "1"\n2# "b" => "2"')" "$("${CLI[@]}" -3 --no-raw HGETALL h)"
check "error reply" "ERR unknown command 'nosuch', with args beginning with: 'x' " "$("${CLI[@]}" nosuch x 2>&1)"
check "wrongtype" "WRONGTYPE Operation against a key holding the wrong kind of value" "$("${CLI[@]}" GET h 2>&1)"
check "ttl" "100" "$("${CLI[@]}" SET t v EX 100 >/dev/null; "${CLI[@]}" TTL t)"
check "info has the vellir section" "1" "$("${CLI[@]}" INFO vellir | grep -c '^dirty_keys:')"
check "config get" "$(printf 'port\n%s' "$PORT")" "$("${CLI[@]}" CONFIG GET port)"

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# 100,000 SETs in RESP, as redis-cli --pipe wants them.
awk 'BEGIN { for (i = 0; i < 100000; i++) { k = "pipe:" i; v = "v" i;
  printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' > "$tmp"
out=$("${CLI[@]}" --pipe < "$tmp" 2>&1)
check "--pipe mass insertion" "errors: 0, replies: 100000" "$(echo "$out" | tail -1)"
check "dbsize after --pipe" "100004" "$("${CLI[@]}" DBSIZE)"
check "a piped key" "v99999" "$("${CLI[@]}" GET pipe:99999)"

# The keyspace tools: --scan follows SCAN's cursors to the end, --bigkeys and
# --memkeys add DBSIZE, TYPE, STRLEN/HLEN and MEMORY USAGE per key.
check "--scan lists every key once" "100004" "$("${CLI[@]}" --scan | sort -u | wc -l)"
check "--scan --pattern" "10" "$("${CLI[@]}" --scan --pattern 'pipe:9999?' | sort -u | wc -l)"
check "keys pattern" "pipe:99999" "$("${CLI[@]}" KEYS 'pipe:9999[9]')"
"${CLI[@]}" FLUSHALL >/dev/null
"${CLI[@]}" MSET s1 x s2 yyyyyyyyyy >/dev/null
"${CLI[@]}" HSET big a 1 b 2 c 3 >/dev/null
big=$("${CLI[@]}" --bigkeys 2>&1)
check "--bigkeys samples every key" "1" "$(echo "$big" | grep -c 'Sampled 3 keys in the keyspace')"
check "--bigkeys biggest string" "1" "$(echo "$big" | grep -c "Biggest string found '\"s2\"' has 10 bytes")"
check "--bigkeys biggest hash" "1" "$(echo "$big" | grep -c "Biggest   hash found '\"big\"' has 3 fields")"
mem=$("${CLI[@]}" --memkeys 2>&1)
check "--memkeys samples every key" "1" "$(echo "$mem" | grep -c 'Sampled 3 keys in the keyspace')"
check "--memkeys sizes the hash" "1" "$(echo "$mem" | grep -c '1 hashs with [1-9][0-9]* bytes')"

echo "$((n - fail)) of $n redis-cli checks passed"
[ "$fail" -eq 0 ]
