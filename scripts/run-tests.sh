#!/usr/bin/env bash
# Runs test binaries one by one, prints one line each with its time, shows the
# output of the ones that fail, and exits non-zero if any failed.
# Usage: scripts/run-tests.sh BINARY...
set -u
fail=0; n=0
for t in "$@"; do
  n=$((n + 1))
  log=$(mktemp)
  start=$EPOCHREALTIME
  if "$t" >"$log" 2>&1; then
    printf 'PASS %-50s %6.2fs\n' "${t##*/tests/}" "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')"
  else
    rc=$?
    printf 'FAIL %-50s (exit %d)\n' "${t##*/tests/}" "$rc"
    sed 's/^/    /' "$log" | tail -n 60
    fail=$((fail + 1))
  fi
  rm -f "$log"
done
echo "$((n - fail))/$n test binaries passed"
[ "$fail" -eq 0 ]
