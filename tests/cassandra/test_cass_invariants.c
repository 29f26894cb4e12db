/*
 * test_cass_invariants.c -- invariants 1, 2, 4 and 5 of docs/invariants.md,
 * end to end against the real Cassandra node.
 *
 *   1  one upstream load per cold key per burst, whatever the waiters;
 *   2  an acknowledged IMMEDIATE write is in Cassandra when it completes;
 *   4  after close, Cassandra holds exactly the last value of every key;
 *   5  a dirty entry is never evicted, expired away without reaching
 *      Cassandra, or lost on an upstream error (here: its table dropped
 *      under it, then recreated).
 *
 * Owns: tables inv1, inv2, inv4, inv5 of vellir_test. Threads: the test
 * thread, writer/reader threads (each with its own direct client where it
 * checks the database), and the shards.
 */
#include <sched.h>

#include "cass_env.h"
#include "util/clock.h"
#include "util/rng.h"

static cass_direct *db;

static void fresh_table(const char *t) {
    char q[256];
    snprintf(q, sizeof q, "DROP TABLE IF EXISTS " TEST_KEYSPACE ".%s", t);
    CHECK_OK(cd_exec(db, q));
}

static vl_options opts(uint32_t shards) {
    vl_options o;
    test_options(&o, shards);
    return o;
}

/* ---- invariant 1 ----------------------------------------------------------------- */

#define I1_KEYS 50
#define I1_THREADS 6
#define I1_READS 40 /* per thread per key */

typedef struct i1_reader {
    vl_service *svc;
    _Atomic uint64_t *wrong;
} i1_reader;

typedef struct i1_read {
    int key;
    _Atomic int *left;
    _Atomic uint64_t *wrong;
} i1_read;

static void i1_done(void *arg, vl_status st, const vl_view *v) {
    i1_read *r = arg;
    if (st != VL_OK || *(const int64_t *)v->value != r->key * 3) atomic_fetch_add(r->wrong, 1);
    atomic_fetch_sub(r->left, 1);
    free(r);
}

static void *i1_main(void *arg) {
    i1_reader *rd = arg;
    _Atomic int left = 0;
    char k[32];
    for (int rep = 0; rep < I1_READS; rep++)
        for (int i = 0; i < I1_KEYS; i++) {
            int n = snprintf(k, sizeof k, "cold-%d", i);
            i1_read *r = malloc(sizeof *r);
            CHECK(r);
            *r = (i1_read){i, &left, rd->wrong};
            atomic_fetch_add(&left, 1);
            vl_status st;
            while ((st = vl_read(rd->svc, k, (size_t)n, i1_done, r)) == VL_EBUSY) sched_yield();
            CHECK_OK(st);
        }
    while (atomic_load(&left) > 0) sched_yield();
    return NULL;
}

static void test_inv1_one_load_per_cold_key(void) {
    fresh_table("inv1");
    vl_cassandra_options co;
    cass_test_options(&co, "inv1");
    vl_options o = opts(2);
    vl_service *svc = cass_test_open(&co, &counter_type_absent, &o);
    char k[32];
    for (int i = 0; i < I1_KEYS; i++) {
        int n = snprintf(k, sizeof k, "cold-%d", i);
        set_arg a = {i * 3, 0, vl_within(10)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    CHECK_OK(vl_close(svc, NULL));
    /* A fresh service: every key is cold. */
    static up_counts counts;
    vl_upstream inner;
    CHECK_OK(vl_cassandra_upstream(&co, &inner));
    vl_upstream up = counting_upstream(&counts, inner);
    CHECK_OK(vl_open(&o, &counter_type_absent, &up, &svc));
    _Atomic uint64_t wrong = 0;
    pthread_t th[I1_THREADS];
    i1_reader rd = {svc, &wrong};
    for (int t = 0; t < I1_THREADS; t++) CHECK(pthread_create(&th[t], NULL, i1_main, &rd) == 0);
    for (int t = 0; t < I1_THREADS; t++) pthread_join(th[t], NULL);
    CHECK_EQ(atomic_load(&wrong), 0);
    CHECK_EQ(atomic_load(&counts.loads), I1_KEYS);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.loads_started, I1_KEYS);
    printf("# %d reads of %d cold keys: %llu loads, %llu joined a load in flight\n",
           I1_THREADS * I1_READS * I1_KEYS, I1_KEYS, (unsigned long long)s.loads_started,
           (unsigned long long)s.loads_coalesced);
    CHECK(s.loads_coalesced > 0);
    CHECK_OK(vl_close(svc, NULL));
}

/* ---- invariant 2 ------------------------------------------------------------------- */

#define I2_WRITERS 4
#define I2_WRITES 150

typedef struct i2_writer {
    int id;
    vl_service *svc;
    int bad;
} i2_writer;

static void *i2_main(void *arg) {
    i2_writer *w = arg;
    cass_direct *mine = cd_open();
    char k[32];
    for (int i = 0; i < I2_WRITES; i++) {
        snprintf(k, sizeof k, "w%d-%d", w->id, i % 10);
        set_arg a = {i + 1, 0, vl_immediate()};
        CHECK_OK(vl_write_sync(w->svc, k, strlen(k), counter_set, &a));
        /* The completion has fired: Cassandra has this very value now. */
        if (cd_counter(mine, "inv2", k) != i + 1) w->bad++;
    }
    cd_close(mine);
    return NULL;
}

static void test_inv2_immediate_is_in_cassandra(void) {
    fresh_table("inv2");
    vl_cassandra_options co;
    cass_test_options(&co, "inv2");
    vl_options o = opts(2);
    vl_service *svc = cass_test_open(&co, &counter_type, &o);
    i2_writer ws[I2_WRITERS];
    pthread_t th[I2_WRITERS];
    for (int i = 0; i < I2_WRITERS; i++) {
        ws[i] = (i2_writer){i, svc, 0};
        CHECK(pthread_create(&th[i], NULL, i2_main, &ws[i]) == 0);
    }
    for (int i = 0; i < I2_WRITERS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(ws[i].bad, 0);
    }
    CHECK_OK(vl_close(svc, NULL));
}

/* ---- invariant 4 ---------------------------------------------------------------------- */

#define I4_WRITERS 4
#define I4_KEYS 64 /* per writer */
#define I4_OPS 6000

typedef struct i4_writer {
    int id;
    vl_service *svc;
    int64_t last[I4_KEYS]; /* -1: deleted; 0: never written */
    _Atomic int inflight;
} i4_writer;

/* A write's argument: the set (first, for counter_set) and its writer. */
typedef struct i4_op {
    set_arg set;
    i4_writer *w;
} i4_op;

static void i4_done(void *arg, vl_status st) {
    i4_writer *w = ((i4_op *)arg)->w;
    CHECK(st == VL_OK);
    atomic_fetch_sub(&w->inflight, 1);
}

static void *i4_main(void *arg) {
    i4_writer *w = arg;
    vl_rng rng = {(uint64_t)w->id * 7919 + 1};
    static _Thread_local i4_op ops[I4_OPS];
    char k[32];
    for (int i = 0; i < I4_OPS; i++) {
        int key = (int)vl__rng_below(&rng, I4_KEYS);
        int n = snprintf(k, sizeof k, "w%d-%d", w->id, key);
        while (atomic_load(&w->inflight) > 64) sched_yield();
        atomic_fetch_add(&w->inflight, 1);
        vl_status st;
        ops[i].w = w;
        if (vl__rng_below(&rng, 10) == 0) {
            w->last[key] = -1;
            while ((st = vl_delete(w->svc, k, (size_t)n, vl_within((uint32_t)vl__rng_below(&rng, 50)),
                                   i4_done, &ops[i])) == VL_EBUSY)
                sched_yield();
        } else {
            ops[i].set = (set_arg){i + 1, 0, vl_within((uint32_t)vl__rng_below(&rng, 50))};
            w->last[key] = i + 1;
            while ((st = vl_write(w->svc, k, (size_t)n, counter_set, i4_done, &ops[i])) == VL_EBUSY)
                sched_yield();
        }
        CHECK_OK(st);
    }
    while (atomic_load(&w->inflight) > 0) sched_yield();
    return NULL;
}

static void test_inv4_close_leaves_the_last_values(void) {
    fresh_table("inv4");
    vl_cassandra_options co;
    cass_test_options(&co, "inv4");
    vl_options o = opts(2);
    vl_service *svc = cass_test_open(&co, &counter_type_absent, &o);
    static i4_writer ws[I4_WRITERS];
    pthread_t th[I4_WRITERS];
    for (int i = 0; i < I4_WRITERS; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].id = i;
        ws[i].svc = svc;
        CHECK(pthread_create(&th[i], NULL, i4_main, &ws[i]) == 0);
    }
    for (int i = 0; i < I4_WRITERS; i++) pthread_join(th[i], NULL);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_OK(vl_close(svc, NULL));
    printf("# %llu writes, %llu coalesced into a pending commit, %llu keys committed\n",
           (unsigned long long)s.writes, (unsigned long long)s.writes_coalesced,
           (unsigned long long)s.commit_keys);
    char k[32];
    for (int i = 0; i < I4_WRITERS; i++)
        for (int key = 0; key < I4_KEYS; key++) {
            snprintf(k, sizeof k, "w%d-%d", i, key);
            int64_t want = ws[i].last[key] == 0 ? -1 : ws[i].last[key];
            CHECK_EQ(cd_counter(db, "inv4", k), want);
        }
}

/* ---- invariant 5 ----------------------------------------------------------------------- */

static void test_inv5_dirty_is_never_dropped(void) {
    fresh_table("inv5");
    vl_cassandra_options co;
    cass_test_options(&co, "inv5");
    vl_options o = opts(1);
    o.log = test_log_sink;
    vl_service *svc = cass_test_open(&co, &counter_type_absent, &o);
    /* Evicting a dirty key commits it first. */
    set_arg a = {10, 0, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "ev", 2, counter_set, &a));
    CHECK_EQ(cd_counter(db, "inv5", "ev"), -1);
    CHECK_OK(vl_evict_sync(svc, "ev", 2));
    CHECK_EQ(cd_counter(db, "inv5", "ev"), 10);
    /* A dirty key that expires takes its expiry to Cassandra: the older,
     * unexpiring value there does not come back. */
    set_arg b = {1, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "ex", 2, counter_set, &b));
    set_arg c = {2, vl__wall_ms() + 200, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "ex", 2, counter_set, &c));
    test_sleep_ms(400);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "ex", 2, counter_read, &r), VL_ENOTFOUND);
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(cd_counter(db, "inv5", "ex"), -1);
    /* An upstream error: the table disappears under a dirty key. The key
     * stays dirty, its commits fail and are retried, and it lands when the
     * table is back (prepared again on the real node, after Unprepared). */
    set_arg d = {1, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "er", 2, counter_set, &d));
    fresh_table("inv5");
    set_arg e = {3, 0, vl_within(10)};
    CHECK_OK(vl_write_sync(svc, "er", 2, counter_set, &e));
    vl_stats s;
    double t0 = check_now_s();
    do {
        test_sleep_ms(50);
        CHECK_OK(vl_stats_get(svc, -1, &s));
    } while (s.commits_failed < 3 && check_now_s() - t0 < 10);
    CHECK(s.commits_failed >= 3);
    CHECK_EQ(s.dirty_keys, 1);
    CHECK_OK(cd_exec(db, "CREATE TABLE " TEST_KEYSPACE ".inv5 (key blob PRIMARY KEY, value blob)"));
    t0 = check_now_s();
    do {
        test_sleep_ms(50);
        CHECK_OK(vl_stats_get(svc, -1, &s));
    } while (s.dirty_keys > 0 && check_now_s() - t0 < 15);
    CHECK_EQ(s.dirty_keys, 0);
    CHECK_EQ(cd_counter(db, "inv5", "er"), 3);
    CHECK_OK(vl_close(svc, NULL));
}

int main(void) {
    db = cd_open();
    RUN(test_inv1_one_load_per_cold_key);
    RUN(test_inv2_immediate_is_in_cassandra);
    RUN(test_inv4_close_leaves_the_last_values);
    RUN(test_inv5_dirty_is_never_dropped);
    cd_close(db);
    return 0;
}
