/*
 * test_pg_crash.c -- the server dies in the middle of a write-heavy run:
 * its postmaster is SIGKILLed (scripts/pg-node.sh kill: by the pid in its
 * own postmaster.pid, checked) and started again, while writers go on.
 * Every acknowledged IMMEDIATE write must be in the table after the
 * restart, and after close every key must hold its last value (WITHIN
 * writes included): nothing acknowledged is lost, nothing pending dropped.
 *
 * Owns: its table; it crashes and restarts the test instance (so it needs
 * scripts/pg-node.sh's instance, not just any server).
 * Threads: writer threads, the shards, the test thread (crash + restart).
 */
#include <sched.h>

#include "pgt.h"

#define WRITERS 4 /* 0, 1: IMMEDIATE; 2, 3: WITHIN(50) */
#define KEYS 100  /* per writer */

static char table[64];
static _Atomic int stop;

struct writer;
typedef struct job {
    cset set; /* first: cval_set's argument */
    int k;
    struct writer *w;
} job;

typedef struct writer {
    int id;
    vl_service *svc;
    _Atomic int inflight, bad, pending;
    int64_t sent[KEYS];           /* last value sent per key */
    _Atomic int64_t acked[KEYS];  /* highest IMMEDIATE value acknowledged */
    int ops;
} writer;

static void on_done(void *arg, vl_status st) {
    job *j = arg;
    writer *w = j->w;
    if (st == VL_OK) {
        int64_t v = j->set.v.n, cur = atomic_load(&w->acked[j->k]);
        while (v > cur && !atomic_compare_exchange_weak(&w->acked[j->k], &cur, v)) {
        }
    } else if (st == VL_EPENDING) {
        atomic_fetch_add(&w->pending, 1); /* kept dirty; must still land */
    } else {
        atomic_fetch_add(&w->bad, 1);
    }
    free(j);
    atomic_fetch_sub(&w->inflight, 1);
}

static void *writer_main(void *arg) {
    writer *w = arg;
    bool imm = w->id < 2;
    for (int i = 0; !atomic_load(&stop); i++) {
        while (atomic_load(&w->inflight) >= 16) sched_yield();
        job *j = calloc(1, sizeof *j);
        CHECK(j);
        j->k = i % KEYS;
        j->w = w;
        j->set = (cset){{i + 1, "crash"}, 0, imm ? vl_immediate() : vl_within(50)};
        char key[16];
        int n = snprintf(key, sizeof key, "c%d-%d", w->id, j->k);
        w->sent[j->k] = i + 1;
        atomic_fetch_add(&w->inflight, 1);
        vl_status st;
        while ((st = vl_write(w->svc, key, (size_t)n, cval_set, on_done, j)) == VL_EBUSY)
            sched_yield();
        CHECK_OK(st);
        w->ops++;
        if (i % 64 == 63) test_sleep_ms(1); /* a steady stream, not a flood */
    }
    while (atomic_load(&w->inflight)) sched_yield();
    return NULL;
}

static void test_kill_server_mid_run(void) {
    if (system("scripts/pg-node.sh status >/dev/null 2>&1") != 0) {
        printf("# skipped: needs the instance of scripts/pg-node.sh (it kills and restarts it)\n");
        return;
    }
    pgt_table(table, sizeof table, "crash");
    vl_pg_options po;
    pgt_pg_options(&po, table);
    vl_options o;
    test_options(&o, 2);
    o.log = test_log_sink;
    o.retry.cap_ms = 200;
    vl_upstream up;
    vl_service *svc = pgt_open(&po, &o, &up);
    /* Warm the keys (absent) so that no write waits for a load. */
    for (int i = 0; i < WRITERS; i++)
        for (int k = 0; k < KEYS; k++) {
            char key[16];
            int n = snprintf(key, sizeof key, "c%d-%d", i, k);
            cread r;
            CHECK_ST(vl_read_sync(svc, key, (size_t)n, cval_read, &r), VL_ENOTFOUND);
        }
    static writer ws[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        ws[i] = (writer){.id = i, .svc = svc};
        CHECK(pthread_create(&th[i], NULL, writer_main, &ws[i]) == 0);
    }
    test_sleep_ms(1000);
    pgt_node("kill");
    double t_down = check_now_s();
    test_sleep_ms(300); /* writes pile up against a dead server */
    pgt_node("start");
    printf("# server down for %.2f s\n", check_now_s() - t_down);
    test_sleep_ms(1000);
    atomic_store(&stop, 1);
    int pending = 0, ops = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(ws[i].bad, 0);
        pending += ws[i].pending;
        ops += ws[i].ops;
    }
    vl_pg_stats ps;
    CHECK_OK(vl_pg_stats_get(&up, &ps));
    printf("# %d writes; %d IMMEDIATE answered VL_EPENDING; %llu connections lost, "
           "%llu failed attempts, %llu requests failed back\n",
           ops, pending, (unsigned long long)ps.disconnects,
           (unsigned long long)ps.connect_failures, (unsigned long long)ps.failed);
    CHECK_EQ(ps.disconnects, 2); /* each shard's connection, once */
    CHECK(ps.failed > 0);        /* the crash really hit requests */

    /* Every acknowledged IMMEDIATE write survived the crash. */
    PGconn *c = pgt_connect();
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < KEYS; k++) {
            if (!ws[i].acked[k]) continue;
            char key[16];
            int n = snprintf(key, sizeof key, "c%d-%d", i, k);
            cval v;
            CHECK(pgt_get(c, table, key, (size_t)n, &v, NULL) == 1);
            CHECK(v.n >= ws[i].acked[k]);
        }
    /* After close, every key holds its last value, WITHIN ones included. */
    vl_close_report rep;
    CHECK_OK(vl_close(svc, &rep));
    for (int i = 0; i < WRITERS; i++)
        for (int k = 0; k < KEYS; k++) {
            char key[16];
            int n = snprintf(key, sizeof key, "c%d-%d", i, k);
            cval v;
            CHECK(pgt_get(c, table, key, (size_t)n, &v, NULL) == 1);
            CHECK_EQ(v.n, ws[i].sent[k]);
        }
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\"", table), WRITERS * KEYS);
    PQfinish(c);
    pgt_drop(table);
}

int main(void) {
    RUN(test_kill_server_mid_run);
    return 0;
}
