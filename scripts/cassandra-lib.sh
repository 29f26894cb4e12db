# cassandra-lib.sh -- what the Cassandra test-node scripts share: finding
# Java, launching one CassandraDaemon JVM in its own run directory, knowing
# a node by its pid and run directory, waiting for CQL, and stopping a node
# by its own pid. Sourced by scripts/cassandra-node.sh (one node) and
# scripts/cassandra-cluster.sh (three nodes); docs/cassandra-node.md.
#
# Owns: nothing but these functions. The caller defines say() and die(),
# and sets REPO_ROOT before sourcing.
# Threads: shell; every function acts on the run directory it is given.

CASS_CONF_SRC="$REPO_ROOT/tests/cassandra-node"
CASS_YAML_TEMPLATE="$CASS_CONF_SRC/cassandra.yaml.in"
CASS_JVM_ARGS="$CASS_CONF_SRC/jvm17.args"
CASS_LOGBACK="$CASS_CONF_SRC/logback.xml"
CASS_LIB_DIR="$REPO_ROOT/build/cassandra-node/lib"
CASS_MAIN_CLASS="org.apache.cassandra.service.CassandraDaemon"
CASS_STORAGE_PORT=7010   # must match tests/cassandra-node/cassandra.yaml.in
CASS_STOP_TIMEOUT=60
CASS_PY=/usr/bin/python3 # Debian's python3, where python3-cassandra lives

cass_now_ms() { date +%s%3N; }
cass_fmt_secs() { printf '%d.%01d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# True if $1 is a live process whose command line is a CassandraDaemon using
# run directory $2. Zombies have an empty cmdline and count as not running.
cass_is_node() {
    local pid="$1" dir="$2" cmd
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmd" == *"$CASS_MAIN_CLASS"* ]] || return 1
    [[ "$cmd" == *"-Dcassandra.storagedir=$dir "* ]] || return 1
}

# Prints the pid in $1/cassandra.pid if it names the node of run dir $1.
cass_running_pid() {
    local pf="$1/cassandra.pid" pid
    [[ -f "$pf" ]] || return 1
    pid="$(tr -dc '0-9' <"$pf")"
    cass_is_node "$pid" "$1" || return 1
    printf '%s' "$pid"
}

# True if something accepts TCP connections on address $1, port $2.
cass_port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

cass_java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        printf '%s' "$JAVA_HOME/bin/java"
    else
        command -v java || die "java not found (need OpenJDK 17: apt-get install openjdk-17-jdk-headless)"
    fi
}

cass_check_java() {
    local java ver major
    java="$(cass_java_bin)"
    ver="$("$java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
    major="${ver%%.*}"
    [[ "$major" == "17" ]] || die "$java is version '$ver'; Cassandra 5.0 needs JDK 17 exactly"
}

cass_python_driver_ok() {
    [[ -x "$CASS_PY" ]] && "$CASS_PY" -c 'import cassandra.cluster' >/dev/null 2>&1
}

cass_print_log_tail() {
    local f
    for f in "$1/logs/stdout.log" "$1/logs/system.log"; do
        [[ -f "$f" ]] || continue
        printf -- '----- last lines of %s -----\n' "$f" >&2
        tail -n 25 "$f" | cut -c1-300 >&2
    done
}

# cass_render_yaml RUN_DIR ADDR CQL_PORT NUM_TOKENS SNITCH CLUSTER_NAME SEEDS
# Writes RUN_DIR/conf/cassandra.yaml from the template.
cass_render_yaml() {
    sed -e "s|@RUN_DIR@|$1|g" -e "s|@ADDR@|$2|g" -e "s|@CQL_PORT@|$3|g" \
        -e "s|@NUM_TOKENS@|$4|g" -e "s|@SNITCH@|$5|g" -e "s|@CLUSTER_NAME@|$6|g" \
        -e "s|@SEEDS@|$7|g" "$CASS_YAML_TEMPLATE" >"$1/conf/cassandra.yaml"
}

# Prepares RUN_DIR for a start: its folders, the previous logs moved aside.
cass_prepare_dir() {
    local f
    mkdir -p "$1/logs" "$1/conf"
    rm -f "$1/cassandra.pid"
    for f in system.log stdout.log; do
        [[ -f "$1/logs/$f" ]] && mv -f "$1/logs/$f" "$1/logs/$f.prev"
    done
    return 0
}

# cass_launch RUN_DIR HEAP [extra JVM arguments...]
# Starts the JVM in the background in its own session, writes its pid to
# RUN_DIR/cassandra.pid and sets CASS_PID.
cass_launch() {
    local dir="$1" heap="$2" java jamm
    shift 2
    java="$(cass_java_bin)"
    jamm="$(ls "$CASS_LIB_DIR"/jamm-*.jar | head -n1)"
    # setsid: own session, so the node outlives the calling shell/terminal.
    # The background child is not a process-group leader, so setsid execs
    # in place and $! is the JVM's pid (checked via /proc/PID/cmdline).
    (
        cd "$dir"
        exec setsid "$java" \
            -Xms"$heap" -Xmx"$heap" \
            -javaagent:"$jamm" \
            @"$CASS_JVM_ARGS" \
            -Dcassandra-foreground=yes \
            -Dcassandra.config="file://$dir/conf/cassandra.yaml" \
            -Dcassandra.storagedir="$dir" \
            -Dcassandra.logdir="$dir/logs" \
            -Dlogback.configurationFile="file://$CASS_LOGBACK" \
            -Dcassandra.unsafesystem=true \
            -Dcassandra.skip_wait_for_gossip_to_settle=0 \
            "$@" \
            -cp "$CASS_LIB_DIR/*" \
            "$CASS_MAIN_CLASS"
    ) </dev/null >"$dir/logs/stdout.log" 2>&1 &
    CASS_PID=$!
    printf '%s\n' "$CASS_PID" >"$dir/cassandra.pid"
}

# cass_wait_cql RUN_DIR PID ADDR PORT T0_MS TIMEOUT_S LABEL
# Waits until the node logs that it listens for CQL clients and ADDR:PORT
# accepts a connection. Returns 1 if the JVM died, 2 on timeout.
cass_wait_cql() {
    local dir="$1" pid="$2" addr="$3" port="$4" t0="$5" timeout_s="$6" label="$7"
    local deadline=$((t0 + timeout_s * 1000)) next=$((t0 + 5000)) now seen_log=0 cmd_ok=0
    while :; do
        now="$(cass_now_ms)"
        if ! kill -0 "$pid" 2>/dev/null || { [[ $cmd_ok == 1 ]] && ! cass_is_node "$pid" "$dir"; }; then
            return 1
        fi
        cass_is_node "$pid" "$dir" && cmd_ok=1
        if [[ $seen_log == 0 ]] && grep -q "Starting listening for CQL clients" "$dir/logs/system.log" 2>/dev/null; then
            seen_log=1
        fi
        if [[ $seen_log == 1 && $cmd_ok == 1 ]] && cass_port_open "$addr" "$port"; then
            return 0
        fi
        ((now < deadline)) || return 2
        if ((now >= next)); then
            say "$label: waiting for CQL on $addr:$port ... $(cass_fmt_secs $((now - t0)))s (pid $pid)"
            next=$((next + 5000))
        fi
        sleep 0.5
    done
}

# cass_stop_dir RUN_DIR LABEL
# SIGTERM to the pid in RUN_DIR's pidfile, only if it is that run dir's
# CassandraDaemon; SIGKILL to the same pid after CASS_STOP_TIMEOUT seconds.
# Never pkill or killall. A stale pidfile is removed and nothing is killed.
cass_stop_dir() {
    local dir="$1" label="$2" pf="$1/cassandra.pid" pid i
    if [[ ! -f "$pf" ]]; then
        say "$label: not running (no pidfile $pf)"
        return 0
    fi
    pid="$(tr -dc '0-9' <"$pf")"
    if ! cass_is_node "$pid" "$dir"; then
        say "$label: stale pidfile: pid '${pid:-?}' is not this node's CassandraDaemon; not killing anything"
        rm -f "$pf"
        return 0
    fi
    say "$label: stopping pid $pid (SIGTERM)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < CASS_STOP_TIMEOUT * 2; i++)); do
        cass_is_node "$pid" "$dir" || break
        sleep 0.5
        if ((i > 0 && i % 10 == 0)); then say "$label: waiting for pid $pid to exit ... $((i / 2))s"; fi
    done
    if cass_is_node "$pid" "$dir"; then
        say "$label: pid $pid still running after ${CASS_STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 20; i++)); do
            cass_is_node "$pid" "$dir" || break
            sleep 0.5
        done
    fi
    rm -f "$pf"
    if cass_is_node "$pid" "$dir"; then
        die "$label: pid $pid did not exit even after SIGKILL"
    fi
    say "$label: stopped"
}
