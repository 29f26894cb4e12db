#!/usr/bin/env bash
# Single-node Apache Cassandra 5.0 test node for vellir, built only from
# Maven Central artifacts (cassandra-all + its transitive deps) and run as a
# separate JVM on loopback. See docs/cassandra-node.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"

CONF_SRC="$REPO_ROOT/tests/cassandra-node"
POM="$CONF_SRC/pom.xml"
YAML_TEMPLATE="$CONF_SRC/cassandra.yaml.in"
JVM_ARGS="$CONF_SRC/jvm17.args"
LOGBACK="$CONF_SRC/logback.xml"

NODE_DIR="$REPO_ROOT/build/cassandra-node"
LIB_DIR="$NODE_DIR/lib"
STAMP="$LIB_DIR/.installed"

RUN_DIR="${VELLIR_CASSANDRA_DIR:-$NODE_DIR/run}"
[[ "$RUN_DIR" == /* ]] || RUN_DIR="$PWD/$RUN_DIR"      # relative: to the caller's cwd
[[ -d "$RUN_DIR" ]] && RUN_DIR="$(cd "$RUN_DIR" && pwd -P)"
CQL_PORT="${VELLIR_CASSANDRA_PORT:-9142}"
STORAGE_PORT=7010        # must match tests/cassandra-node/cassandra.yaml.in
START_TIMEOUT="${VELLIR_CASSANDRA_START_TIMEOUT:-180}"
STOP_TIMEOUT=60
KEYSPACE="vellir_test"
HEAP="1G"
PY=/usr/bin/python3      # Debian's python3, where python3-cassandra lives

MAIN_CLASS="org.apache.cassandra.service.CassandraDaemon"

say() { printf '[cassandra-node] %s\n' "$*"; }
die() { printf '[cassandra-node] ERROR: %s\n' "$*" >&2; exit 1; }

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

now_ms() { date +%s%3N; }
fmt_secs() { printf '%d.%01d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

pidfile() { printf '%s/cassandra.pid' "$RUN_DIR"; }

# True if $1 is a live process whose command line is a CassandraDaemon using
# this run directory. Zombies have an empty cmdline and count as not running.
is_our_node() {
    local pid="$1" cmd
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmd" == *"$MAIN_CLASS"* ]] || return 1
    [[ "$cmd" == *"-Dcassandra.storagedir=$RUN_DIR "* ]] || return 1
}

# Prints the pid from the pidfile if it names our running node.
running_pid() {
    local pf pid
    pf="$(pidfile)"
    [[ -f "$pf" ]] || return 1
    pid="$(tr -dc '0-9' <"$pf")"
    is_our_node "$pid" || return 1
    printf '%s' "$pid"
}

port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        printf '%s' "$JAVA_HOME/bin/java"
    else
        command -v java || die "java not found (need OpenJDK 17: apt-get install openjdk-17-jdk-headless)"
    fi
}

check_java() {
    local java ver major
    java="$(java_bin)"
    ver="$("$java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
    major="${ver%%.*}"
    [[ "$major" == "17" ]] || die "$java is version '$ver'; Cassandra 5.0 needs JDK 17 exactly"
}

python_driver_ok() {
    [[ -x "$PY" ]] && "$PY" -c 'import cassandra.cluster' >/dev/null 2>&1
}

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

print_log_tail() {
    local f
    for f in "$RUN_DIR/logs/stdout.log" "$RUN_DIR/logs/system.log"; do
        [[ -f "$f" ]] || continue
        printf -- '----- last lines of %s -----\n' "$f" >&2
        tail -n 25 "$f" | cut -c1-300 >&2
    done
}

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
        ! port_open "$p" || die "127.0.0.1:$p is already in use by another process; not starting"
    done

    mkdir -p "$RUN_DIR/logs" "$RUN_DIR/conf"
    RUN_DIR="$(cd "$RUN_DIR" && pwd -P)"
    rm -f "$(pidfile)"
    local f
    for f in system.log stdout.log; do
        [[ -f "$RUN_DIR/logs/$f" ]] && mv -f "$RUN_DIR/logs/$f" "$RUN_DIR/logs/$f.prev"
    done
    sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@CQL_PORT@|$CQL_PORT|g" \
        "$YAML_TEMPLATE" >"$RUN_DIR/conf/cassandra.yaml"

    local java jamm t0 t_ready t_end
    java="$(java_bin)"
    jamm="$(ls "$LIB_DIR"/jamm-*.jar | head -n1)"
    say "starting Cassandra (CQL 127.0.0.1:$CQL_PORT, storage $STORAGE_PORT, heap $HEAP, dir $RUN_DIR)"
    t0="$(now_ms)"
    # setsid: own session, so the node outlives the calling shell/terminal.
    # The background child is not a process-group leader, so setsid execs
    # in place and $! is the JVM's pid (checked below via /proc/PID/cmdline).
    (
        cd "$RUN_DIR"
        exec setsid "$java" \
            -Xms"$HEAP" -Xmx"$HEAP" \
            -javaagent:"$jamm" \
            @"$JVM_ARGS" \
            -Dcassandra-foreground=yes \
            -Dcassandra.config="file://$RUN_DIR/conf/cassandra.yaml" \
            -Dcassandra.storagedir="$RUN_DIR" \
            -Dcassandra.logdir="$RUN_DIR/logs" \
            -Dlogback.configurationFile="file://$LOGBACK" \
            -Dcassandra.unsafesystem=true \
            -Dcassandra.skip_wait_for_gossip_to_settle=0 \
            -cp "$LIB_DIR/*" \
            "$MAIN_CLASS"
    ) </dev/null >"$RUN_DIR/logs/stdout.log" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$(pidfile)"

    local deadline=$((t0 + START_TIMEOUT * 1000)) next_report=$((t0 + 5000)) now seen_log=0 cmd_ok=0
    while :; do
        now="$(now_ms)"
        if ! kill -0 "$pid" 2>/dev/null || { [[ $cmd_ok == 1 ]] && ! is_our_node "$pid"; }; then
            print_log_tail
            rm -f "$(pidfile)"
            die "Cassandra (pid $pid) exited during start-up"
        fi
        is_our_node "$pid" && cmd_ok=1
        if [[ $seen_log == 0 ]] && grep -q "Starting listening for CQL clients" "$RUN_DIR/logs/system.log" 2>/dev/null; then
            seen_log=1
        fi
        if [[ $seen_log == 1 && $cmd_ok == 1 ]] && port_open "$CQL_PORT"; then
            break
        fi
        if ((now >= deadline)); then
            print_log_tail
            say "not ready after ${START_TIMEOUT}s; stopping it"
            cmd_stop || true
            die "start timed out"
        fi
        if ((now >= next_report)); then
            say "waiting for CQL on 127.0.0.1:$CQL_PORT ... $(fmt_secs $((now - t0)))s (pid $pid)"
            next_report=$((next_report + 5000))
        fi
        sleep 0.5
    done
    t_ready="$(now_ms)"
    say "CQL is up after $(fmt_secs $((t_ready - t0)))s"
    if ! create_keyspace; then
        print_log_tail
        die "node is running (pid $pid) but keyspace creation failed"
    fi
    t_end="$(now_ms)"
    say "started: pid $pid, CQL 127.0.0.1:$CQL_PORT, keyspace $KEYSPACE; start took $(fmt_secs $((t_end - t0)))s"
}

# ---------------------------------------------------------------- stop

cmd_stop() {
    local pf pid
    pf="$(pidfile)"
    if [[ ! -f "$pf" ]]; then
        say "not running (no pidfile $pf)"
        return 0
    fi
    pid="$(tr -dc '0-9' <"$pf")"
    if ! is_our_node "$pid"; then
        say "stale pidfile: pid '${pid:-?}' is not this node's CassandraDaemon; not killing anything"
        rm -f "$pf"
        return 0
    fi
    say "stopping pid $pid (SIGTERM)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < STOP_TIMEOUT * 2; i++)); do
        is_our_node "$pid" || break
        sleep 0.5
        if ((i > 0 && i % 10 == 0)); then say "waiting for pid $pid to exit ... $((i / 2))s"; fi
    done
    if is_our_node "$pid"; then
        say "pid $pid still running after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 20; i++)); do
            is_our_node "$pid" || break
            sleep 0.5
        done
    fi
    rm -f "$pf"
    if is_our_node "$pid"; then
        die "pid $pid did not exit even after SIGKILL"
    fi
    say "stopped"
}

# ---------------------------------------------------------------- status

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        local cql="not accepting connections"
        port_open "$CQL_PORT" && cql="accepting connections"
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
