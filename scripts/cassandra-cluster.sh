#!/usr/bin/env bash
# cassandra-cluster.sh -- a three-node Apache Cassandra 5.0 test cluster on
# loopback for vellir's cluster tests: nodes on 127.0.0.1, 127.0.0.2 and
# 127.0.0.3, each with the same ports on its own address, each in its own run
# directory and stopped by its own pid. The same Maven Central jars as the
# single node (scripts/cassandra-node.sh install). See docs/cassandra-node.md.
#
# Owns: build/cassandra-cluster/node1..3 (or $VELLIR_CASSANDRA_CLUSTER_DIR)
# and the three JVMs it starts. Threads: shell; `stop` stops the nodes in
# parallel, each by its own pid.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"

say() { printf '[cassandra-cluster] %s\n' "$*"; }
die() { printf '[cassandra-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/cassandra-lib.sh
. "$SCRIPT_DIR/cassandra-lib.sh"

NODES=3
BASE_DIR="${VELLIR_CASSANDRA_CLUSTER_DIR:-$REPO_ROOT/build/cassandra-cluster}"
[[ "$BASE_DIR" == /* ]] || BASE_DIR="$PWD/$BASE_DIR"
CQL_PORT="${VELLIR_CASSANDRA_PORT:-9142}"
START_TIMEOUT="${VELLIR_CASSANDRA_START_TIMEOUT:-180}"
HEAP="${VELLIR_CASSANDRA_CLUSTER_HEAP:-1G}"
KEYSPACE="vellir_cluster"
DC="dc1"
NUM_TOKENS=16
CLUSTER_NAME="vellir-cluster"
SEEDS="127.0.0.1"

usage() {
    cat <<EOF
Usage: scripts/cassandra-cluster.sh <command> [N]

Runs a three-node Apache Cassandra 5.0 test cluster on loopback: node N listens
on 127.0.0.N (CQL port \$VELLIR_CASSANDRA_PORT, default $CQL_PORT; storage
$CASS_STORAGE_PORT, ssl storage 7011), seed 127.0.0.1, datacenter $DC, racks
rack1, rack1, rack2, $NUM_TOKENS tokens each (fixed, evenly spaced), heap $HEAP.

Commands:
  install       The jars and python3-cassandra (scripts/cassandra-node.sh install).
  start         Start the nodes one after another, each once the one before is up
                and seen by node 1; then create keyspace $KEYSPACE
                (NetworkTopologyStrategy, '$DC': 3) and check that every node, as a
                coordinator, reads at consistency ALL. Nodes already running are kept.
  stop          Stop every node (SIGTERM to each node's own pid, in parallel; SIGKILL
                after $CASS_STOP_TIMEOUT s).
  status        One line per node. Exit 0 if all run, 3 if none, 4 if some.
  stop-node N   Stop node N (1..3) only.
  start-node N  Start node N only, and wait until the others see it up again.
  --help        Show this text.

Environment:
  VELLIR_CASSANDRA_CLUSTER_DIR    base of the run directories node1..node3; default
                                  build/cassandra-cluster in the repo
  VELLIR_CASSANDRA_PORT           CQL port of every node; default 9142
  VELLIR_CASSANDRA_START_TIMEOUT  seconds to wait for each node's CQL; default 180
  VELLIR_CASSANDRA_CLUSTER_HEAP   heap of each JVM; default 1G

Node 1 uses 127.0.0.1:$CQL_PORT and :$CASS_STORAGE_PORT like the single node of
scripts/cassandra-node.sh: the two cannot run at the same time, and each refuses
to start while the other's ports are taken.
EOF
}

node_dir() { printf '%s/node%s' "$BASE_DIR" "$1"; }
node_addr() { printf '127.0.0.%s' "$1"; }
node_rack() { if [[ "$1" == 3 ]]; then printf 'rack2'; else printf 'rack1'; fi; }

check_n() {
    [[ "${1:-}" =~ ^[1-3]$ ]] || die "node number must be 1, 2 or 3 (got '${1:-}')"
}

# The node's 16 tokens: 48 evenly spaced tokens over the whole ring, node N
# taking every third one starting at N-1, so the ring interleaves the nodes.
node_tokens() {
    "$CASS_PY" - "$1" "$NODES" "$NUM_TOKENS" <<'PYEOF'
import sys
n, nodes, per = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
total = nodes * per
step = 2**64 // total
print(",".join(str(-2**63 + step // 2 + k * step) for k in range(n - 1, total, nodes)))
PYEOF
}

# The python3-cassandra checks: wait until a node is seen joined by node 1,
# create the keyspace, and check that each node coordinates a read at ALL.
cluster_py() {
    "$CASS_PY" -W ignore::DeprecationWarning - "$CQL_PORT" "$KEYSPACE" "$DC" "$@" <<'PYEOF'
import sys, time, logging
logging.basicConfig(level=logging.CRITICAL)
from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra import ConsistencyLevel
from cassandra.query import SimpleStatement

port, ks, dc, cmd, args = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]

def session(addr):
    c = Cluster([addr], port=port, connect_timeout=5, control_connection_timeout=5,
                load_balancing_policy=WhiteListRoundRobinPolicy([addr]))
    return c, c.connect()

def retry(what, fn, timeout):
    end, last = time.time() + timeout, None
    while time.time() < end:
        try:
            r = fn()
            if r is True:
                return
            last = r
        except Exception as e:
            last = repr(e)
        time.sleep(1)
    print("[cassandra-cluster] ERROR: %s: %s" % (what, last), file=sys.stderr)
    sys.exit(1)

def joined(seer, addr):
    # `addr` is in `seer`'s system.peers_v2 with its tokens, and gossip says NORMAL.
    c, s = session(seer)
    try:
        peers = {str(r.peer): r for r in s.execute("SELECT peer, tokens FROM system.peers_v2")}
        if addr not in peers or not peers[addr].tokens:
            return "%s does not list %s in system.peers_v2 yet" % (seer, addr)
        st = [r.status_with_port or r.status for r in
              s.execute("SELECT address, status, status_with_port FROM system_views.gossip_info")
              if str(r.address) == addr]
        if not st or not (st[0] or "").startswith("NORMAL"):
            return "%s sees %s in gossip state %s" % (seer, addr, st)
        return True
    finally:
        c.shutdown()

def all_read(addr):
    # A read at ALL, coordinated by `addr`: every replica (all 3 nodes at RF 3) is up for it.
    c, s = session(addr)
    try:
        s.execute(SimpleStatement("SELECT k FROM %s.probe WHERE k = 0" % ks,
                                  consistency_level=ConsistencyLevel.ALL), timeout=10)
        return True
    finally:
        c.shutdown()

if cmd == "joined":
    seer, addr = args
    retry("%s never saw %s join" % (seer, addr), lambda: joined(seer, addr), 120)
elif cmd == "keyspace":
    def create():
        c, s = session("127.0.0.1")
        try:
            s.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
                      "{'class': 'NetworkTopologyStrategy', '%s': 3}" % (ks, dc), timeout=30)
            s.execute("CREATE TABLE IF NOT EXISTS %s.probe (k int PRIMARY KEY)" % ks, timeout=30)
            if not c.control_connection.wait_for_schema_agreement(wait_time=30):
                return "no schema agreement within 30 s"
            v = s.execute("SELECT release_version FROM system.local").one().release_version
            print("[cassandra-cluster] keyspace %s ready (NetworkTopologyStrategy %s: 3; Cassandra %s)"
                  % (ks, dc, v))
            return True
        finally:
            c.shutdown()
    retry("could not create keyspace %s" % ks, create, 90)
elif cmd == "all-up":
    for addr in args:
        retry("%s cannot coordinate a read at ALL" % addr, lambda: all_read(addr), 120)
else:
    sys.exit("unknown command " + cmd)
PYEOF
}

running_nodes() {
    local n out=()
    for n in 1 2 3; do cass_running_pid "$(node_dir "$n")" >/dev/null && out+=("$n"); done
    printf '%s ' "${out[@]}"
}

# Launches node N and waits for its CQL port. Sets LAUNCH_MS to the time it took.
launch_node() {
    local n="$1" dir addr t0 rc=0 p
    dir="$(node_dir "$n")"
    addr="$(node_addr "$n")"
    for p in "$CQL_PORT" "$CASS_STORAGE_PORT"; do
        ! cass_port_open "$addr" "$p" ||
            die "$addr:$p is already in use by another process (the single node of scripts/cassandra-node.sh?); not starting node $n"
    done
    cass_prepare_dir "$dir"
    dir="$(cd "$dir" && pwd -P)"
    cass_render_yaml "$dir" "$addr" "$CQL_PORT" "$NUM_TOKENS" GossipingPropertyFileSnitch \
        "$CLUSTER_NAME" "$SEEDS"
    {
        printf 'initial_token: %s\n' "$(node_tokens "$n")"
        printf 'auto_bootstrap: false\n'
        # Do not wait 10 s at start for peers that are not running yet.
        printf 'block_for_peers_timeout_in_secs: 0\n'
    } >>"$dir/conf/cassandra.yaml"
    printf 'dc=%s\nrack=%s\n' "$DC" "$(node_rack "$n")" >"$dir/conf/cassandra-rackdc.properties"
    say "node $n: starting on $addr (CQL $CQL_PORT, storage $CASS_STORAGE_PORT, heap $HEAP, $DC/$(node_rack "$n"), dir $dir)"
    t0="$(cass_now_ms)"
    # ring_delay_ms: a restarted node that knows its peers waits this long
    # for gossip with them before it goes on alone (30 s by default).
    cass_launch "$dir" "$HEAP" "-Dcassandra-rackdc.properties=file://$dir/conf/cassandra-rackdc.properties" \
        -Dcassandra.ring_delay_ms=3000
    cass_wait_cql "$dir" "$CASS_PID" "$addr" "$CQL_PORT" "$t0" "$START_TIMEOUT" "node $n" || rc=$?
    if ((rc == 1)); then
        cass_print_log_tail "$dir"
        rm -f "$dir/cassandra.pid"
        die "node $n (pid $CASS_PID) exited during start-up"
    elif ((rc != 0)); then
        cass_print_log_tail "$dir"
        say "node $n: not accepting CQL after ${START_TIMEOUT}s; stopping it"
        cass_stop_dir "$dir" "node $n" || true
        die "node $n: start timed out"
    fi
    LAUNCH_MS=$(($(cass_now_ms) - t0))
    say "node $n: CQL up after $(cass_fmt_secs "$LAUNCH_MS")s (pid $CASS_PID)"
}

ensure_installed() {
    cass_check_java
    if ! compgen -G "$CASS_LIB_DIR/cassandra-all-*.jar" >/dev/null || ! cass_python_driver_ok; then
        "$SCRIPT_DIR/cassandra-node.sh" install
    fi
}

cmd_start() {
    [[ "$CQL_PORT" =~ ^[0-9]+$ ]] || die "VELLIR_CASSANDRA_PORT must be a number, got '$CQL_PORT'"
    ensure_installed
    local n t0 t1 started=0
    t0="$(cass_now_ms)"
    for n in 1 2 3; do
        if cass_running_pid "$(node_dir "$n")" >/dev/null; then
            say "node $n: already running (pid $(cass_running_pid "$(node_dir "$n")"))"
            continue
        fi
        launch_node "$n"
        started=$((started + 1))
        if [[ "$n" != 1 ]]; then
            t1="$(cass_now_ms)"
            cluster_py joined 127.0.0.1 "$(node_addr "$n")" || die "node $n did not join"
            say "node $n: joined (seen NORMAL by node 1 after $(cass_fmt_secs $(($(cass_now_ms) - t1)))s more)"
        fi
    done
    t1="$(cass_now_ms)"
    cluster_py keyspace || die "keyspace creation failed"
    cluster_py all-up 127.0.0.1 127.0.0.2 127.0.0.3 || die "not every node sees the others up"
    say "all 3 nodes up (each coordinates a read at ALL); keyspace and checks took $(cass_fmt_secs $(($(cass_now_ms) - t1)))s"
    say "started $started node(s); start took $(cass_fmt_secs $(($(cass_now_ms) - t0)))s"
}

cmd_start_node() {
    check_n "${1:-}"
    local n="$1" others=() m t0
    if cass_running_pid "$(node_dir "$n")" >/dev/null; then
        say "node $n: already running"
        return 0
    fi
    [[ -f "$(node_dir "$n")/conf/cassandra.yaml" ]] ||
        die "node $n has never run in $(node_dir "$n"); use 'start' for the whole cluster"
    ensure_installed
    t0="$(cass_now_ms)"
    launch_node "$n"
    for m in $(running_nodes); do [[ "$m" == "$n" ]] || others+=("$(node_addr "$m")"); done
    # Each other node, as a coordinator, reads at ALL again: it sees node n up.
    if ((${#others[@]} == NODES - 1)); then
        cluster_py all-up "$(node_addr "$n")" "${others[@]}" || die "node $n is not seen up"
        say "node $n: seen up by the others; took $(cass_fmt_secs $(($(cass_now_ms) - t0)))s"
    else
        say "node $n: started (not every other node runs, so up-ness is not checked)"
    fi
}

cmd_stop() {
    local n pids=() rc=0
    for n in 3 2 1; do
        cass_stop_dir "$(node_dir "$n")" "node $n" &
        pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n" || rc=1; done
    ((rc == 0)) || die "a node did not stop"
}

cmd_stop_node() {
    check_n "${1:-}"
    cass_stop_dir "$(node_dir "$1")" "node $1"
}

cmd_status() {
    local n pid up=0 dir cql
    for n in 1 2 3; do
        dir="$(node_dir "$n")"
        if pid="$(cass_running_pid "$dir")"; then
            cql="not accepting connections"
            cass_port_open "$(node_addr "$n")" "$CQL_PORT" && cql="accepting connections"
            say "node $n: running (pid $pid, CQL $(node_addr "$n"):$CQL_PORT $cql, dir $dir)"
            up=$((up + 1))
        else
            say "node $n: stopped (dir $dir)"
        fi
    done
    ((up == NODES)) && return 0
    ((up == 0)) && return 3
    return 4
}

case "${1:-}" in
    install) "$SCRIPT_DIR/cassandra-node.sh" install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    start-node) cmd_start_node "${2:-}" ;;
    stop-node) cmd_stop_node "${2:-}" ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf 'unknown command: %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
esac
