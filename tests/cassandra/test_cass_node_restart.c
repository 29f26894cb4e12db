/*
 * test_cass_node_restart.c -- the Cassandra node is stopped in the middle of
 * a write-heavy run (scripts/cassandra-node.sh stop: SIGTERM to its pid) and
 * started again while the writers go on. Afterwards every acknowledged
 * IMMEDIATE write is in Cassandra, and after close every key holds its last
 * value, including the WITHIN writes made while the node was down.
 *
 * It stops only the node of this checkout's run directory
 * ($VELLIR_CASSANDRA_DIR), and refuses to run if that node is not the one
 * running. It always starts the node again before it exits.
 *
 * Owns: table vellir_test.outage. Threads: the test thread, writer threads,
 * the shards.
 */
#include "cass_writers.h"

#define WRITERS 3
#define KEYS 150 /* per writer */

static bool node_stopped;

static int node(const char *cmd) { return cass_script("cassandra-node.sh", cmd); }

static void restart_if_stopped(void) {
    if (node_stopped && node("start") == 0) node_stopped = false;
}

static int64_t stored(void *arg, const char *key) { return cd_counter(arg, "outage", key); }

static void test_node_stopped_mid_run(void) {
    CHECK(node("status") == 0); /* this checkout's node, and it runs */
    cass_direct *db = cd_open();
    CHECK_OK(cd_exec(db, "DROP TABLE IF EXISTS " TEST_KEYSPACE ".outage"));
    cd_close(db);
    vl_cassandra_options co;
    cass_test_options(&co, "outage");
    vl_options o;
    test_options(&o, 2);
    o.retry.cap_ms = 500;
    o.retry.immediate_attempts = 3;
    o.close_timeout_ms = 120000;
    o.log = test_log_sink;
    vl_service *svc = cass_test_open(&co, &counter_type, &o);
    /* Every key resident first, so no write needs a load while the node is down. */
    char k[32];
    for (int i = 0; i < WRITERS; i++)
        for (int key = 0; key < KEYS; key++) {
            int n = snprintf(k, sizeof k, "w%d-%d", i, key);
            read_out r;
            CHECK_OK(vl_read_sync(svc, k, (size_t)n, counter_read, &r));
        }
    static cw_writer ws[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i] = (cw_writer){.id = i, .svc = svc, .keys = KEYS, .immediate_in = 4,
                            .inflight_max = 16, .sleep_every = 16, .sleep_ms = 1};
        /* write-heavy, but leave the JVM a core */
        CHECK(pthread_create(&th[i], NULL, cw_main, &ws[i]) == 0);
    }
    test_sleep_ms(1500);
    node_stopped = true;
    double t0 = check_now_s();
    CHECK(node("stop") == 0);
    printf("# node stopped (%.1f s) while writing\n", check_now_s() - t0);
    test_sleep_ms(1500);
    vl_stats down;
    CHECK_OK(vl_stats_get(svc, -1, &down));
    t0 = check_now_s();
    CHECK(node("start") == 0);
    node_stopped = false;
    printf("# node started again (%.1f s); %llu keys dirty meanwhile\n", check_now_s() - t0,
           (unsigned long long)down.dirty_keys);
    CHECK(down.dirty_keys > 0);
    test_sleep_ms(1500);
    for (int i = 0; i < WRITERS; i++) atomic_store(&ws[i].stop, true);
    for (int i = 0; i < WRITERS; i++) pthread_join(th[i], NULL);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    vl_close_report rep;
    CHECK_OK(vl_close(svc, &rep));
    CHECK_EQ(rep.uncommitted, 0);
    CHECK(s.commits_failed > 0); /* the outage really failed commits */

    db = cd_open();
    uint64_t acked = 0, pending = 0, within = 0;
    for (int i = 0; i < WRITERS; i++) {
        acked += ws[i].n_acked;
        pending += ws[i].n_pending;
        within += ws[i].n_within;
        (void)cw_check(&ws[i], stored, db);
    }
    cd_close(db);
    printf("# %llu IMMEDIATE acked, %llu answered VL_EPENDING, %llu WITHIN; %llu commits "
           "failed during the outage, all keys at their last value\n",
           (unsigned long long)acked, (unsigned long long)pending, (unsigned long long)within,
           (unsigned long long)s.commits_failed);
    CHECK(acked > 0 && within > 0);
}

int main(void) {
    atexit(restart_if_stopped);
    RUN(test_node_stopped_mid_run);
    return 0;
}
