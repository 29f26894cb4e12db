/*
 * test_cluster_node_restart.c -- node 1 of the test cluster (the contact
 * point, holding every shard's control connection) is stopped and started
 * again (scripts/cassandra-cluster.sh stop-node 1 / start-node 1: SIGTERM to
 * its own pid) while writers make IMMEDIATE writes and a reader loads keys
 * cold, at QUORUM on a keyspace with three replicas. Afterwards every
 * acknowledged write is in Cassandra, read at consistency ALL through node
 * 3 and with python3-cassandra through node 2; no load failed while the
 * node was down; the node's counters show the requests it lost, and the
 * requests it got again once it was back.
 *
 * It always starts node 1 again before it exits.
 *
 * Owns: table vellir_cluster.restart. Threads: the test thread, the writers,
 * the reader, the shards.
 */
#include "cass_writers.h"

#define WRITERS 2
#define KEYS 100  /* per writer */
#define RKEYS 50  /* the reader's */

static bool node1_stopped;
static vl_upstream up;

static int cluster(const char *cmd) { return cass_script("cassandra-cluster.sh", cmd); }

static void restart_if_stopped(void) {
    if (node1_stopped && cluster("start-node 1") == 0) node1_stopped = false;
}

/* ---- the reader: cold loads, all the time ----------------------------------------- */

typedef struct reader {
    vl_service *svc;
    _Atomic bool stop, node_down;
    _Atomic uint64_t ok, failed, ok_down;
} reader;

static void *reader_main(void *arg) {
    reader *r = arg;
    char k[16];
    for (int i = 0; !atomic_load(&r->stop); i = (i + 1) % RKEYS) {
        int n = snprintf(k, sizeof k, "r%d", i);
        bool down = atomic_load(&r->node_down);
        (void)vl_evict_sync(r->svc, k, (size_t)n); /* not resident: the read loads it */
        read_out out;
        vl_status st = vl_read_sync(r->svc, k, (size_t)n, counter_read, &out);
        if (st == VL_OK && out.value == 1000 + i) {
            atomic_fetch_add(&r->ok, 1);
            if (down && atomic_load(&r->node_down)) atomic_fetch_add(&r->ok_down, 1);
        } else {
            fprintf(stderr, "# load of %s: %s (value %lld)\n", k, vl_status_name(st),
                    (long long)out.value);
            atomic_fetch_add(&r->failed, 1);
        }
        test_sleep_ms(10);
    }
    return NULL;
}

/* Each key's value at ALL through node 3, summed on the way. */
typedef struct sum_ctx {
    cass_direct *db;
    long long sum;
} sum_ctx;

static int64_t stored(void *arg, const char *key) {
    sum_ctx *sc = arg;
    int64_t v = cd_counter(sc->db, "restart", key);
    if (v >= 0) sc->sum += v;
    return v;
}

static vl_cassandra_node node1(void) {
    vl_cassandra_node st[8];
    uint32_t n = vl_cassandra_node_stats(&up, st, 8);
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%u", cass_test_port());
    for (uint32_t i = 0; i < n && i < 8; i++)
        if (strcmp(st[i].address, want) == 0) return st[i];
    CHECK(!"node 1 not known");
    return st[0];
}

/* ---- python3-cassandra through node 2 ------------------------------------------------ */

/* Sum of the counters python3-cassandra reads at ALL through node 2, and
 * how many rows. */
static void python_sum(long long *sum, long long *rows) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -W ignore -c \"import logging, struct; "
             "logging.basicConfig(level=logging.CRITICAL); "
             "from cassandra.cluster import Cluster; "
             "from cassandra.policies import WhiteListRoundRobinPolicy; "
             "from cassandra.query import SimpleStatement; from cassandra import ConsistencyLevel; "
             "c = Cluster(['127.0.0.2'], port=%u, "
             "load_balancing_policy=WhiteListRoundRobinPolicy(['127.0.0.2'])); s = c.connect(); "
             "rows = list(s.execute(SimpleStatement('SELECT key, value FROM vellir_cluster.restart', "
             "consistency_level=ConsistencyLevel.ALL))); "
             "w = [r for r in rows if r.key.startswith(b'w')]; "
             "print(sum(struct.unpack('<q', r.value)[0] for r in w), len(w)); c.shutdown()\"",
             cass_test_port());
    FILE *p = popen(cmd, "r");
    CHECK(p);
    CHECK_EQ(fscanf(p, "%lld %lld", sum, rows), 2);
    CHECK_EQ(pclose(p), 0);
}

static void test_node_restart_under_writes(void) {
    CHECK(cluster("status") == 0); /* all three run */
    cass_direct *db = cd_open_at("127.0.0.3");
    CHECK_OK(cd_exec(db, "DROP TABLE IF EXISTS vellir_cluster.restart"));
    vl_cassandra_options co;
    vl_cassandra_options_init(&co);
    co.host = "127.0.0.1";
    co.port = cass_test_port();
    co.keyspace = "vellir_cluster";
    co.table = "restart";
    co.create = true;
    co.replication_factor = 3;
    co.consistency = VL_CASSANDRA_QUORUM;
    vl_options o;
    test_options(&o, 2);
    o.retry.cap_ms = 500;
    o.retry.immediate_attempts = 3;
    o.close_timeout_ms = 120000;
    o.log = test_log_sink;
    CHECK_OK(vl_cassandra_upstream(&co, &up));
    vl_service *svc = NULL;
    CHECK_OK(vl_open(&o, &counter_type_absent, &up, &svc));
    char k[16];
    for (int i = 0; i < RKEYS; i++) {
        int n = snprintf(k, sizeof k, "r%d", i);
        set_arg a = {1000 + i, 0, vl_immediate()};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    static cw_writer ws[WRITERS];
    static reader rd;
    memset(&rd, 0, sizeof rd);
    rd.svc = svc;
    pthread_t th[WRITERS], rth;
    for (int i = 0; i < WRITERS; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        /* IMMEDIATE writes, a hundred a second each: a JVM starting needs the cores */
        ws[i] = (cw_writer){.id = i, .svc = svc, .keys = KEYS, .immediate_in = 1,
                            .inflight_max = 8, .sleep_every = 1, .sleep_ms = 10};
        CHECK(pthread_create(&th[i], NULL, cw_main, &ws[i]) == 0);
    }
    CHECK(pthread_create(&rth, NULL, reader_main, &rd) == 0);
    test_sleep_ms(1500);
    node1_stopped = true;
    double t0 = check_now_s();
    CHECK(cluster("stop-node 1") == 0);
    atomic_store(&rd.node_down, true);
    printf("# node 1 stopped (%.1f s) while writing and loading\n", check_now_s() - t0);
    test_sleep_ms(3000);
    vl_cassandra_node lost = node1();
    atomic_store(&rd.node_down, false);
    t0 = check_now_s();
    CHECK(cluster("start-node 1") == 0);
    node1_stopped = false;
    printf("# node 1 started again and seen up by the others (%.1f s)\n", check_now_s() - t0);
    uint64_t before = node1().requests;
    test_sleep_ms(2000);
    vl_cassandra_node back = node1();
    for (int i = 0; i < WRITERS; i++) atomic_store(&ws[i].stop, true);
    atomic_store(&rd.stop, true);
    for (int i = 0; i < WRITERS; i++) pthread_join(th[i], NULL);
    pthread_join(rth, NULL);
    vl_close_report rep;
    CHECK_OK(vl_close(svc, &rep));
    CHECK_EQ(rep.uncommitted, 0);

    printf("# node 1: %llu requests, %llu ok, %llu unavailable, %llu timeouts, %llu overloaded, "
           "%llu retried elsewhere by the time it was down; %llu more once back\n",
           (unsigned long long)lost.requests, (unsigned long long)lost.ok,
           (unsigned long long)lost.unavailable, (unsigned long long)lost.timeouts,
           (unsigned long long)lost.overloaded, (unsigned long long)lost.retried,
           (unsigned long long)(back.requests - before));
    CHECK(!lost.up);
    CHECK(back.up && back.requests > before); /* routed to again */
    printf("# loads: %llu ok (%llu while node 1 was down), %llu failed\n",
           (unsigned long long)atomic_load(&rd.ok), (unsigned long long)atomic_load(&rd.ok_down),
           (unsigned long long)atomic_load(&rd.failed));
    CHECK_EQ(atomic_load(&rd.failed), 0);
    CHECK(atomic_load(&rd.ok_down) > 0);

    cd_set_keyspace(db, "vellir_cluster");
    cd_set_consistency(db, CQL_ALL);
    uint64_t acked = 0, pending = 0;
    sum_ctx sc = {db, 0};
    long long rows = 0;
    for (int i = 0; i < WRITERS; i++) {
        acked += ws[i].n_acked;
        pending += ws[i].n_pending;
        rows += cw_check(&ws[i], stored, &sc);
    }
    long long sum = sc.sum;
    cd_close(db);
    long long py_sum, py_rows;
    python_sum(&py_sum, &py_rows);
    CHECK_EQ(py_rows, rows);
    CHECK_EQ(py_sum, sum);
    printf("# %llu writes acknowledged (%llu answered VL_EPENDING); all %lld keys at their last "
           "value at ALL through node 3, and the same through python3-cassandra on node 2\n",
           (unsigned long long)acked, (unsigned long long)pending, rows);
    CHECK(acked > 100);
}

int main(void) {
    atexit(restart_if_stopped);
    RUN(test_node_restart_under_writes);
    return 0;
}
