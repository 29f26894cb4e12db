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
#include <sched.h>

#include "cass_env.h"
#include "util/clock.h"
#include "util/rng.h"

#define WRITERS 3
#define KEYS 150 /* per writer */

static bool node_stopped;

static int node(const char *cmd) {
    char line[256];
    snprintf(line, sizeof line, "scripts/cassandra-node.sh %s >/dev/null 2>&1", cmd);
    return system(line);
}

static void restart_if_stopped(void) {
    if (node_stopped && node("start") == 0) node_stopped = false;
}

typedef struct writer {
    int id;
    vl_service *svc;
    _Atomic bool stop;
    _Atomic int inflight;
    int64_t last_sent[KEYS];
    _Atomic int64_t acked[KEYS]; /* highest IMMEDIATE value acknowledged */
    _Atomic uint64_t n_acked, n_pending, n_within, n_other;
} writer;

typedef struct op {
    set_arg set; /* first: counter_set's argument */
    writer *w;
    int key;
} op;

static void on_done(void *arg, vl_status st) {
    op *o = arg;
    writer *w = o->w;
    if (o->set.policy.kind == VL_COMMIT_IMMEDIATE) {
        if (st == VL_OK) {
            int64_t prev = atomic_load(&w->acked[o->key]);
            while (prev < o->set.value &&
                   !atomic_compare_exchange_weak(&w->acked[o->key], &prev, o->set.value)) {
            }
            atomic_fetch_add(&w->n_acked, 1);
        } else if (st == VL_EPENDING) {
            atomic_fetch_add(&w->n_pending, 1);
        } else {
            atomic_fetch_add(&w->n_other, 1);
        }
    } else if (st == VL_OK) {
        atomic_fetch_add(&w->n_within, 1);
    } else {
        atomic_fetch_add(&w->n_other, 1);
    }
    free(o);
    atomic_fetch_sub(&w->inflight, 1);
}

static void *writer_main(void *arg) {
    writer *w = arg;
    vl_rng rng = {(uint64_t)w->id + 99};
    int64_t v = 0;
    char k[32];
    while (!atomic_load(&w->stop)) {
        while (atomic_load(&w->inflight) >= 16) test_sleep_ms(1);
        int key = (int)vl__rng_below(&rng, KEYS);
        int n = snprintf(k, sizeof k, "w%d-%d", w->id, key);
        op *o = malloc(sizeof *o);
        CHECK(o);
        bool imm = vl__rng_below(&rng, 4) == 0;
        o->set = (set_arg){++v, 0, imm ? vl_immediate() : vl_within(50)};
        o->w = w;
        o->key = key;
        w->last_sent[key] = v;
        atomic_fetch_add(&w->inflight, 1);
        vl_status st;
        while ((st = vl_write(w->svc, k, (size_t)n, counter_set, on_done, o)) == VL_EBUSY)
            sched_yield();
        CHECK_OK(st);
        if (v % 16 == 0) test_sleep_ms(1); /* write-heavy, but leave the JVM a core */
    }
    while (atomic_load(&w->inflight) > 0) test_sleep_ms(1);
    return NULL;
}

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
    static writer ws[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].id = i;
        ws[i].svc = svc;
        CHECK(pthread_create(&th[i], NULL, writer_main, &ws[i]) == 0);
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
        CHECK_EQ(ws[i].n_other, 0);
        acked += ws[i].n_acked;
        pending += ws[i].n_pending;
        within += ws[i].n_within;
        for (int key = 0; key < KEYS; key++) {
            snprintf(k, sizeof k, "w%d-%d", i, key);
            int64_t have = cd_counter(db, "outage", k);
            int64_t sent = ws[i].last_sent[key];
            CHECK(have >= atomic_load(&ws[i].acked[key])); /* every acked IMMEDIATE */
            CHECK_EQ(have, sent == 0 ? -1 : sent);          /* and the last of all */
        }
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
