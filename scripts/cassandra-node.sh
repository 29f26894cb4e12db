#!/usr/bin/env bash
# Single-node Apache Cassandra 5.0 test node for vellir, built only from
# Maven Central artifacts (cassandra-all + its transitive deps) and run as a
# separate JVM on loopback. See docs/cassandra-node.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"

POM="$REPO_ROOT/tests/cassandra-node/pom.xml"
NODE_DIR="$REPO_ROOT/build/cassandra-node"
LIB_DIR="$NODE_DIR/lib"
STAMP="$LIB_DIR/.installed"

RUN_DIR="${VELLIR_CASSANDRA_DIR:-$NODE_DIR/run}"
[[ "$RUN_DIR" == /* ]] || RUN_DIR="$PWD/$RUN_DIR"      # relative: to the caller's cwd
[[ -d "$RUN_DIR" ]] && RUN_DIR="$(cd "$RUN_DIR" && pwd -P)"
CQL_PORT="${VELLIR_CASSANDRA_PORT:-9142}"
START_TIMEOUT="${VELLIR_CASSANDRA_START_TIMEOUT:-180}"
KEYSPACE="vellir_test"
HEAP="1G"

say() { printf '[cassandra-node] %s\n' "$*"; }
die() { printf '[cassandra-node] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/cassandra-lib.sh
. "$SCRIPT_DIR/cassandra-lib.sh"
PY="$CASS_PY"
STORAGE_PORT="$CASS_STORAGE_PORT"
STOP_TIMEOUT="$CASS_STOP_TIMEOUT"
MAIN_CLASS="$CASS_MAIN_CLASS"

usage() {
    cat <<EOF
Usage: scripts/cassandra-node.sh <command>

Runs a single-node Apache Cassandra 5.0 test node (org.apache.cassandra:cassandra-all
from Maven Central, started as a separate JVM with $MAIN_CLASS).

Commands:
  install   Fetch cassandra-all and its runtime deps from Maven Central into
            build/cassandra-node/lib (mvn dependency:copy-dependencies, using
            tests/cassandra-node/pom.xml). Installs Debian's python3-cassandra with
            apt-get if /usr/bin/python3 cannot import it. Skips what is already there.
  start     Start the node on 127.0.0.1 (CQL port \$VELLIR_CASSANDRA_PORT, default 9142;
            storage 7010, ssl storage 7011; JMX off; heap $HEAP), wait until it accepts CQL
            (timeout \$VELLIR_CASSANDRA_START_TIMEOUT, default 180 s), then create keyspace
            $KEYSPACE (SimpleStrategy, RF 1). Runs 'install' first if needed.
            Exits 0 without doing anything if the node is already running.
  stop      SIGTERM the pid in the pidfile (only if it is this node's CassandraDaemon),
            wait up to ${STOP_TIMEOUT} s, then SIGKILL that same pid. Removes the pidfile.
  status    Print running/stopped and the pid. Exit 0 if running, 3 if stopped.
  --help    Show this text.

Environment:
  VELLIR_CASSANDRA_DIR            run directory (data, commitlog, logs, rendered config,
                                  pidfile); default build/cassandra-node/run in the repo;
                                  a relative path is taken relative to the current directory.
                                  All nodes share storage port 7010, so only one runs at a time.
  VELLIR_CASSANDRA_PORT           CQL native port; default 9142
  VELLIR_CASSANDRA_START_TIMEOUT  seconds to wait for CQL in 'start'; default 180

Files under the run directory: cassandra.pid, conf/cassandra.yaml,
logs/system.log (Cassandra INFO log), logs/stdout.log (JVM output + WARN/ERROR).
Requires OpenJDK 17 (java on PATH or \$JAVA_HOME/bin/java; Cassandra 5.0 supports only JDK 11
and 17, and the JVM flags here are for 17), mvn (uses the normal ~/.m2 local repository),
and /usr/bin/python3 with python3-cassandra (for the keyspace creation).
EOF
}

# ---------------------------------------------------------------- helpers

pidfile() { printf '%s/cassandra.pid' "$RUN_DIR"; }
running_pid() { cass_running_pid "$RUN_DIR"; }
check_java() { cass_check_java; }
python_driver_ok() { cass_python_driver_ok; }

ensure_python_driver() {
    if python_driver_ok; then
        say "python3-cassandra: present ($("$PY" -c 'import cassandra; print(cassandra.__version__)'))"
        return
    fi
    [[ "$(id -u)" == 0 ]] || die "$PY cannot import 'cassandra'; run as root: apt-get install -y python3-cassandra"
    command -v apt-get >/dev/null || die "$PY cannot import 'cassandra' and apt-get is missing; install python3-cassandra"
    say "python3-cassandra: installing with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-cassandra; then
        DEBIAN_FRONTEND=noninteractive apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-cassandra
    fi
    python_driver_ok || die "python3-cassandra installed but '$PY -c \"import cassandra.cluster\"' still fails"
}

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

libs_installed() {
    [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(pom_hash)" ]] || return 1
    compgen -G "$LIB_DIR/cassandra-all-*.jar" >/dev/null &&
        compgen -G "$LIB_DIR/jamm-*.jar" >/dev/null &&
        compgen -G "$LIB_DIR/logback-classic-*.jar" >/dev/null
}

# ---------------------------------------------------------------- install

cmd_install() {
    check_java
    command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
    mkdir -p "$NODE_DIR"     # build/ is in the repo's .gitignore; jars are never committed

    if libs_installed; then
        say "jars: already in $LIB_DIR ($(ls "$LIB_DIR"/*.jar | wc -l) jars, $(du -sh "$LIB_DIR" | cut -f1)); skipping Maven"
    else
        say "jars: resolving cassandra-all and runtime deps from Maven Central (pom: tests/cassandra-node/pom.xml)"
        local tmp="$LIB_DIR.tmp"
        rm -rf "$tmp"
        # -ntp: no per-file transfer progress; the INFO lines are the progress.
        if ! mvn -B -ntp -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
                -DoutputDirectory="$tmp" -DincludeScope=runtime 2>&1 |
                sed -u -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' -e 's/^/  mvn: /'; then
            rm -rf "$tmp"
            die "mvn dependency:copy-dependencies failed (see output above)"
        fi
        local need
        for need in cassandra-all jamm logback-classic logback-core jna slf4j-api; do
            compgen -G "$tmp/$need-*.jar" >/dev/null || { rm -rf "$tmp"; die "resolved set lacks $need-*.jar"; }
        done
        rm -rf "$LIB_DIR"
        mv "$tmp" "$LIB_DIR"
        pom_hash >"$STAMP"
        say "jars: $(ls "$LIB_DIR"/*.jar | wc -l) jars, $(du -sh "$LIB_DIR" | cut -f1) in $LIB_DIR"
    fi
    ensure_python_driver
    say "install: done"
}

# ---------------------------------------------------------------- start

print_log_tail() { cass_print_log_tail "$RUN_DIR"; }

create_keyspace() {
    "$PY" - "$CQL_PORT" "$KEYSPACE" <<'PYEOF'
import sys, time, logging
logging.basicConfig(level=logging.ERROR)
from cassandra.cluster import Cluster
port, ks = int(sys.argv[1]), sys.argv[2]
last = None
for attempt in range(15):
    cluster = Cluster(["127.0.0.1"], port=port, connect_timeout=5)
    try:
        session = cluster.connect()
        session.execute(
            "CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks, timeout=30)
        row = session.execute("SELECT release_version FROM system.local").one()
        print("[cassandra-node] keyspace %s ready (Cassandra %s, protocol v%d)"
              % (ks, row.release_version, cluster.protocol_version))
        sys.exit(0)
    except Exception as e:  # node may still be settling; retry briefly
        last = e
        time.sleep(2)
    finally:
        cluster.shutdown()
print("[cassandra-node] ERROR: could not create keyspace %s: %r" % (ks, last), file=sys.stderr)
sys.exit(1)
PYEOF
}

cmd_start() {
    local pid
    if pid="$(running_pid)"; then
        say "already running (pid $pid, CQL 127.0.0.1:$CQL_PORT, dir $RUN_DIR)"
        return 0
    fi
    [[ "$CQL_PORT" =~ ^[0-9]+$ ]] || die "VELLIR_CASSANDRA_PORT must be a number, got '$CQL_PORT'"
    check_java
    if ! libs_installed || ! python_driver_ok; then cmd_install; fi

    local p
    for p in "$CQL_PORT" "$STORAGE_PORT"; do
        ! cass_port_open 127.0.0.1 "$p" ||
            die "127.0.0.1:$p is already in use by another process (the cluster's node 1? scripts/cassandra-cluster.sh status); not starting"
    done

    cass_prepare_dir "$RUN_DIR"
    RUN_DIR="$(cd "$RUN_DIR" && pwd -P)"
    cass_render_yaml "$RUN_DIR" 127.0.0.1 "$CQL_PORT" 1 SimpleSnitch vellir-test 127.0.0.1

    local t0 t_ready t_end rc=0
    say "starting Cassandra (CQL 127.0.0.1:$CQL_PORT, storage $STORAGE_PORT, heap $HEAP, dir $RUN_DIR)"
    t0="$(cass_now_ms)"
    cass_launch "$RUN_DIR" "$HEAP"
    pid="$CASS_PID"
    cass_wait_cql "$RUN_DIR" "$pid" 127.0.0.1 "$CQL_PORT" "$t0" "$START_TIMEOUT" node || rc=$?
    if ((rc == 1)); then
        print_log_tail
        rm -f "$(pidfile)"
        die "Cassandra (pid $pid) exited during start-up"
    elif ((rc != 0)); then
        print_log_tail
        say "not ready after ${START_TIMEOUT}s; stopping it"
        cmd_stop || true
        die "start timed out"
    fi
    t_ready="$(cass_now_ms)"
    say "CQL is up after $(cass_fmt_secs $((t_ready - t0)))s"
    if ! create_keyspace; then
        print_log_tail
        die "node is running (pid $pid) but keyspace creation failed"
    fi
    t_end="$(cass_now_ms)"
    say "started: pid $pid, CQL 127.0.0.1:$CQL_PORT, keyspace $KEYSPACE; start took $(cass_fmt_secs $((t_end - t0)))s"
}

# ---------------------------------------------------------------- stop

cmd_stop() {
    cass_stop_dir "$RUN_DIR" node
}

# ---------------------------------------------------------------- status

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        local cql="not accepting connections"
        cass_port_open 127.0.0.1 "$CQL_PORT" && cql="accepting connections"
        say "running (pid $pid, CQL 127.0.0.1:$CQL_PORT $cql, dir $RUN_DIR)"
        return 0
    fi
    if [[ -f "$(pidfile)" ]]; then
        say "stopped (stale pidfile $(pidfile) names pid $(tr -dc '0-9' <"$(pidfile)"), which is not this node)"
    else
        say "stopped (no pid; dir $RUN_DIR)"
    fi
    return 3
}

# ---------------------------------------------------------------- main

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf 'unknown command: %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
esac
