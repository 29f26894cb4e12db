#!/usr/bin/env bash
# pg-node.sh -- a private PostgreSQL 15 test instance for vellir's PostgreSQL
# upstream (tests/pg, bench/bench_pg). See docs/postgres.md.
#
# Owns: one cluster in its own data directory, run as the `postgres` user on
# 127.0.0.1 at a non-default port. It never touches Debian's default cluster,
# and it only ever signals the postmaster named in its own data directory's
# postmaster.pid, after checking /proc/PID/cmdline.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"

PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
DATA_DIR="${VELLIR_PG_DIR:-$REPO_ROOT/build/pg-node/data}"
[[ "$DATA_DIR" == /* ]] || DATA_DIR="$PWD/$DATA_DIR"   # relative: to the caller's cwd
PORT="${VELLIR_PG_PORT:-15432}"
START_TIMEOUT="${VELLIR_PG_START_TIMEOUT:-60}"
STOP_TIMEOUT=30
ROLE=vellir
DB=vellir_test
PW_ROLE=vellir_pw          # a role that needs a password: tests check VL_EAUTH with it
PW_ROLE_PASSWORD=vellir-secret
RUN_AS=postgres

say() { printf '[pg-node] %s\n' "$*"; }
die() { printf '[pg-node] ERROR: %s\n' "$*" >&2; exit 1; }

dsn() { printf 'postgresql://%s@127.0.0.1:%s/%s' "$ROLE" "$PORT" "$DB"; }

usage() {
    cat <<EOF
Usage: scripts/pg-node.sh <command>

Runs a private PostgreSQL $PG_VERSION cluster for vellir's tests and benchmarks:
initdb'd in its own directory, run as the '$RUN_AS' user (PostgreSQL refuses
to run as root), listening on 127.0.0.1 only, with trust authentication on
loopback for role '$ROLE' and database '$DB'.

Commands:
  install   apt-get install postgresql-$PG_VERSION (and python3-cbor2, used by the
            tests' cross-checks) if missing. Does nothing if present.
  start     initdb if the directory is new, start the cluster, wait until
            pg_isready answers, create role/database/extensions if missing,
            and print the DSN and how long the start took. Runs 'install'
            first if the binaries are missing. A no-op if already running.
  stop      Fast shutdown (SIGINT) of this cluster's postmaster (pid from
            its postmaster.pid, checked against /proc/PID/cmdline); after
            ${STOP_TIMEOUT}s an immediate shutdown (SIGQUIT), then SIGKILL.
  kill      SIGKILL this cluster's postmaster (checked as for stop) and wait
            until its backends have exited: a crash, for the tests.
  status    Print running/stopped, the pid and the DSN. Exit 0 if running, 3 if not.
  dsn       Print the DSN only.
  --help    This text.

Environment:
  VELLIR_PG_DIR            data directory; default build/pg-node/data in the repo
                           (a relative path is taken from the current directory).
                           The server log is server.log inside it.
  VELLIR_PG_PORT           TCP port on 127.0.0.1; default 15432
  VELLIR_PG_START_TIMEOUT  seconds 'start' waits for pg_isready; default 60

Tests read VELLIR_PG_DSN; its default is $(dsn) (the defaults above).
Unix-domain sockets are off (unix_socket_directories = ''), so the cluster
never collides with Debian's default one in /var/run/postgresql.
EOF
}

# ---------------------------------------------------------------- helpers

now_ms() { date +%s%3N; }
fmt_secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
as_pg() { (cd / && runuser -u "$RUN_AS" -- "$@"); }
pidfile() { printf '%s/postmaster.pid' "$DATA_DIR"; }

# True if $1 is a live postmaster of THIS data directory: its cmdline is our
# postgres binary with "-D <DATA_DIR>" (pg_ctl starts it exactly so).
is_our_postmaster() {
    local pid="$1" cmd
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    cmd="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$(head -n1 <<<"$cmd")" == "$PG_BIN/postgres" ]] || return 1
    grep -qxF -- "-D" <<<"$cmd" || return 1
    grep -qxF -- "$DATA_DIR" <<<"$cmd" || return 1
}

# Prints the postmaster pid if it is ours and running.
running_pid() {
    local pf pid
    pf="$(pidfile)"
    [[ -f "$pf" ]] || return 1
    pid="$(head -n1 "$pf" | tr -dc '0-9')"
    is_our_postmaster "$pid" || return 1
    printf '%s' "$pid"
}

# Pids whose parent is $1 (the postmaster's backends and auxiliary processes).
children_of() {
    local p
    for p in /proc/[0-9]*; do
        [[ -r "$p/stat" ]] || continue
        # field 4 of /proc/PID/stat is the ppid; field 2 may contain spaces
        awk -v want="$1" '{ sub(/^.*\) /, ""); if ($2 == want) print FILENAME }' \
            "$p/stat" 2>/dev/null | sed -e 's|/proc/||' -e 's|/stat||'
    done
}

# Waits until pid $1 no longer exists at all, zombie included: a new
# postmaster refuses to start while the pid in postmaster.pid answers
# kill(pid, 0), which a zombie does until its parent (init) reaps it.
wait_gone() { # pid seconds
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [[ -e "/proc/$1" ]] || return 0
        sleep 0.05
    done
    return 1
}

psql_admin() { # db sql...
    local db="$1"
    shift
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$db" "$@"
}

# ---------------------------------------------------------------- install

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

cmd_install() {
    local want=() p
    [[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" ]] || want+=("postgresql-$PG_VERSION")
    pkg_installed python3-cbor2 || want+=(python3-cbor2)
    pkg_installed postgresql-client-$PG_VERSION || want+=("postgresql-client-$PG_VERSION")
    if ((${#want[@]} == 0)); then
        say "install: postgresql-$PG_VERSION and python3-cbor2 present"
        return 0
    fi
    [[ "$(id -u)" == 0 ]] || die "missing ${want[*]}; run as root (apt-get install ${want[*]})"
    say "install: apt-get install ${want[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
    fi
    for p in "${want[@]}"; do pkg_installed "$p" || die "apt-get did not install $p"; done
    say "install: done"
}

# ---------------------------------------------------------------- start

check_access() {
    # postgres must be able to reach the data directory through every parent.
    local parent
    parent="$(dirname "$DATA_DIR")"
    mkdir -p "$parent"
    as_pg test -x "$parent" ||
        die "user $RUN_AS cannot reach $parent (a parent directory lacks o+x); set VELLIR_PG_DIR elsewhere"
}

write_config() {
    cat >>"$DATA_DIR/postgresql.conf" <<EOF

# ---- vellir test instance (scripts/pg-node.sh) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
shared_buffers = 128MB
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top
log_min_messages = warning
log_connections = off
EOF
}

# Rewritten at every start, so the script's rules are the rules.
write_hba() {
    cat >"$DATA_DIR/pg_hba.conf" <<EOF
# vellir test instance: loopback only.
# TYPE  DATABASE     USER         ADDRESS        METHOD
host    all          postgres     127.0.0.1/32   trust
host    all          $ROLE       127.0.0.1/32   trust
host    $DB  $PW_ROLE    127.0.0.1/32   scram-sha-256
host    all          all          127.0.0.1/32   reject
EOF
    chown "$RUN_AS:$RUN_AS" "$DATA_DIR/pg_hba.conf"
}

init_cluster() {
    say "initdb in $DATA_DIR"
    mkdir -p "$DATA_DIR"
    chown "$RUN_AS:$RUN_AS" "$DATA_DIR"
    chmod 700 "$DATA_DIR"
    as_pg "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$DATA_DIR.initdb.log" 2>&1 ||
        { cat "$DATA_DIR.initdb.log" >&2; die "initdb failed"; }
    rm -f "$DATA_DIR.initdb.log"
    write_config
}

setup_roles() {
    psql_admin postgres <<EOF
SET client_min_messages = warning;
SELECT 'CREATE ROLE $ROLE LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE')
\\gexec
SELECT 'CREATE ROLE $PW_ROLE LOGIN PASSWORD ''$PW_ROLE_PASSWORD''' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PW_ROLE')
\\gexec
SELECT 'CREATE DATABASE $DB OWNER $ROLE' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB')
\\gexec
GRANT pg_read_all_stats TO $ROLE;
EOF
    psql_admin "$DB" <<EOF
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO $ROLE;
GRANT CREATE ON SCHEMA public TO $PW_ROLE;
EOF
}

cmd_start() {
    local pid
    [[ "$PORT" =~ ^[0-9]+$ ]] || die "VELLIR_PG_PORT must be a number, got '$PORT'"
    if pid="$(running_pid)"; then
        say "already running (pid $pid, dir $DATA_DIR)"
        say "DSN: $(dsn)"
        return 0
    fi
    [[ -x "$PG_BIN/postgres" ]] && pkg_installed python3-cbor2 || cmd_install
    id "$RUN_AS" >/dev/null 2>&1 || die "user $RUN_AS does not exist (is postgresql-$PG_VERSION installed?)"
    if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; then
        die "127.0.0.1:$PORT is in use by another process; set VELLIR_PG_PORT"
    fi
    check_access
    if [[ -f "$(pidfile)" ]]; then # a crashed postmaster: let it be reaped first
        pid="$(head -n1 "$(pidfile)" | tr -dc '0-9')"
        [[ -n "$pid" ]] && ! wait_gone "$pid" 10 && die "stale postmaster.pid names pid $pid, which still exists"
    fi
    [[ -f "$DATA_DIR/PG_VERSION" ]] || init_cluster
    write_hba
    local t0 now
    t0="$(now_ms)"
    say "starting PostgreSQL $PG_VERSION on 127.0.0.1:$PORT (dir $DATA_DIR)"
    # pg_ctl forks the postmaster as: $PG_BIN/postgres -D DATA_DIR -p PORT,
    # and with -w waits until the postmaster says (in postmaster.pid) that it
    # is ready, or that it exited. A crashed cluster recovers first.
    local out
    if ! out="$(as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$DATA_DIR/server.log" -w \
        -t "$START_TIMEOUT" -o "-p $PORT" start 2>&1)"; then
        printf '%s\n' "$out" >&2
        tail -n 20 "$DATA_DIR/server.log" >&2 || true
        die "pg_ctl start failed"
    fi
    # And the client's view: pg_isready answers "accepting connections".
    while ! as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 1; do
        now="$(now_ms)"
        if ((now - t0 > START_TIMEOUT * 1000)); then
            tail -n 20 "$DATA_DIR/server.log" >&2 || true
            die "not ready after ${START_TIMEOUT}s"
        fi
        running_pid >/dev/null || die "the postmaster exited during start-up (see $DATA_DIR/server.log)"
        sleep 0.05
    done
    local t_ready
    t_ready="$(now_ms)"
    setup_roles
    pid="$(running_pid)" || die "pg_isready answers but postmaster.pid does not name our postmaster"
    say "ready after $(fmt_secs $((t_ready - t0)))s (pid $pid); start took $(fmt_secs $(($(now_ms) - t0)))s"
    say "DSN: $(dsn)"
}

# ---------------------------------------------------------------- stop, kill

# Signals our postmaster with $1 and waits up to $2 seconds. Returns 1 if it
# is still running afterwards.
signal_and_wait() {
    local sig="$1" secs="$2" pid
    pid="$(running_pid)" || return 0
    say "sending SIG$sig to postmaster $pid"
    kill -s "$sig" "$pid" 2>/dev/null || true
    wait_gone "$pid" "$secs"
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        if [[ -f "$(pidfile)" ]]; then
            say "not running (postmaster.pid names $(head -n1 "$(pidfile)"), which is not our postmaster; nothing signalled)"
        else
            say "not running"
        fi
        return 0
    fi
    signal_and_wait INT "$STOP_TIMEOUT" && { say "stopped"; return 0; }
    say "fast shutdown did not finish in ${STOP_TIMEOUT}s; immediate shutdown"
    signal_and_wait QUIT 10 && { say "stopped (immediate)"; return 0; }
    if is_our_postmaster "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || die "postmaster $pid did not exit even after SIGKILL"
    fi
    say "stopped (killed)"
}

cmd_kill() {
    local pid kids k
    pid="$(running_pid)" || { say "not running; nothing to kill"; return 0; }
    kids="$(children_of "$pid")"
    say "SIGKILL postmaster $pid (a crash)"
    kill -KILL "$pid"
    wait_gone "$pid" 10 || die "postmaster $pid survived SIGKILL"
    # Its backends notice the postmaster's death and exit on their own; a new
    # postmaster cannot start while they still hold the shared memory.
    for k in $kids; do wait_gone "$k" 30 || die "backend $k of the killed postmaster is still running"; done
    say "killed; $(wc -w <<<"$kids") child processes gone"
}

# ---------------------------------------------------------------- status

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        local ready="not accepting connections"
        as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 1 && ready="accepting connections"
        say "running (pid $pid, 127.0.0.1:$PORT $ready, dir $DATA_DIR)"
        say "DSN: $(dsn)"
        return 0
    fi
    say "stopped (dir $DATA_DIR)"
    return 3
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    kill) cmd_kill ;;
    status) cmd_status ;;
    dsn) dsn; echo ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf 'unknown command: %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
esac
