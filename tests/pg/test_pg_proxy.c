/*
 * test_pg_proxy.c -- commits whose answer is lost: through the fault
 * injector of pg_fault_proxy.h, the connection is cut after a COMMIT (the
 * Sync ending a commit's transaction) reached the server and before its
 * answer came back. The server has applied it; the upstream reports it
 * failed; the cache retries it. The data must end up exactly once and
 * correct, and each shard must end up with exactly one backend. And a
 * TRUNCATE (vl_clear) cut off while it waits for a lock is answered only
 * once it can no longer land.
 *
 * Owns: its tables and its proxy. Threads: the test thread, writer
 * threads, the shards, the proxy's threads.
 */
#include <sched.h>

#include "pg_fault_proxy.h"
#include "pgt.h"
#include "util/clock.h"

static char table[64];
static pg_fault_proxy *proxy;
static char proxy_dsn[256];

static void start_proxy(void) {
    PGconn *c = pgt_connect();
    proxy = pgfp_start("127.0.0.1", atoi(PQport(c)));
    CHECK(proxy);
    snprintf(proxy_dsn, sizeof proxy_dsn,
             "host=127.0.0.1 port=%d user=%s dbname=%s sslmode=disable", pgfp_port(proxy),
             PQuser(c), PQdb(c));
    PQfinish(c);
}

static vl_service *open_via_proxy(uint32_t shards, vl_upstream *up) {
    vl_pg_options po;
    pgt_pg_options(&po, table);
    po.conninfo = proxy_dsn;
    vl_options o;
    test_options(&o, shards);
    if (!getenv("PGT_VERBOSE")) o.log = test_log_sink;
    return pgt_open(&po, &o, up);
}

/* An increment on a cval: n += 1 (a value that shows a double apply). */
static vl_policy incr(void *arg, vl_mut *m) {
    (void)arg;
    cval *v = m->value;
    if (!m->present) {
        memset(v, 0, sizeof *v);
        strcpy(v->s, "counter");
        m->present = true;
    }
    v->n++;
    return vl_immediate();
}

static int64_t stmt_calls(PGconn *c, const char *prefix) {
    if (pgt_int(c, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") < 1)
        return -1;
    return pgt_int(c,
                   "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                   "WHERE query LIKE '%s%%' AND query LIKE '%%\"%s\"%%'",
                   prefix, table);
}

static int64_t our_backends(PGconn *c) {
    return pgt_int(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND application_name LIKE 'vellir/shard%%' AND client_port IS NOT NULL");
}

/* One commit, its answer lost: applied once by the server and once more by
 * the retry, and the row holds 1, not 2. */
static void test_commit_answer_lost(void) {
    pgt_table(table, sizeof table, "proxy_once");
    start_proxy();
    vl_upstream up;
    vl_service *svc = open_via_proxy(1, &up);
    PGconn *c = pgt_connect();
    int64_t calls0 = stmt_calls(c, "INSERT INTO");
    pgfp_cut_after_commit(proxy, 1);
    vl_status st = vl_write_sync(svc, "x", 1, incr, NULL);
    CHECK(st == VL_OK || st == VL_EPENDING); /* the retry may outlast the budget */
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(pgfp_cuts(proxy), 1);
    cval v;
    CHECK(pgt_get(c, table, "x", 1, &v, NULL) == 1);
    CHECK_EQ(v.n, 1);
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\"", table), 1);
    if (calls0 >= 0) /* the lost commit did run on the server, then its retry */
        CHECK_EQ(stmt_calls(c, "INSERT INTO") - calls0, 2);
    vl_pg_stats s;
    CHECK_OK(vl_pg_stats_get(&up, &s));
    CHECK_EQ(s.disconnects, 1);
    CHECK_EQ(s.connects, 2);
    CHECK_EQ(s.commits, 1); /* acknowledged: only the retry */
    CHECK(test_log_contains("connection lost"));
    /* The cache's value and the table agree: a read says 1, and the next
     * increment makes 2. */
    cread r;
    CHECK_OK(vl_read_sync(svc, "x", 1, cval_read, &r));
    CHECK_EQ(r.v.n, 1);
    CHECK_OK(vl_write_sync(svc, "x", 1, incr, NULL));
    CHECK(pgt_get(c, table, "x", 1, &v, NULL) == 1);
    CHECK_EQ(v.n, 2);
    CHECK_EQ(our_backends(c), 1); /* the old backend is gone */
    CHECK_OK(vl_close(svc, NULL));
    pgfp_stop(proxy);
    PQfinish(c);
    pgt_drop(table);
}

/* ---- many writers, many cuts ------------------------------------------------ */

#define WRITERS 4
#define KEYS 50   /* per writer */
#define OPS 1500  /* per writer */

struct writer;

/* One write's argument: cval_set reads the cset at its start, on_done the
 * writer (vl_write passes one `arg` to both). */
typedef struct job {
    cset set;
    struct writer *w;
} job;

typedef struct writer {
    int id;
    vl_service *svc;
    _Atomic int inflight;
    _Atomic int bad;
    int64_t last[KEYS]; /* the last value sent; -1: deleted; 0: never written */
    job jobs[OPS];      /* write arguments, alive until the writes ran */
} writer;

static void on_done(void *arg, vl_status st) {
    writer *w = ((job *)arg)->w;
    if (st != VL_OK && st != VL_EPENDING) atomic_fetch_add(&w->bad, 1);
    atomic_fetch_sub(&w->inflight, 1);
}

static void *writer_main(void *arg) {
    writer *w = arg;
    for (int i = 0; i < OPS; i++) {
        while (atomic_load(&w->inflight) >= 16) sched_yield();
        int k = (i * 7) % KEYS;
        char key[16];
        int n = snprintf(key, sizeof key, "w%d-%d", w->id, k);
        atomic_fetch_add(&w->inflight, 1);
        vl_status st;
        if (i % 10 == 9) {
            w->last[k] = -1;
            w->jobs[i].w = w;
            while ((st = vl_delete(w->svc, key, (size_t)n, vl_within(5), on_done, &w->jobs[i])) ==
                   VL_EBUSY)
                sched_yield();
        } else {
            w->jobs[i] = (job){{{i + 1, "w"}, 0, i % 3 ? vl_within(5) : vl_immediate()}, w};
            w->last[k] = i + 1;
            while ((st = vl_write(w->svc, key, (size_t)n, cval_set, on_done, &w->jobs[i])) ==
                   VL_EBUSY)
                sched_yield();
        }
        CHECK_OK(st);
    }
    while (atomic_load(&w->inflight)) sched_yield();
    return NULL;
}

static void test_many_cuts_exact_final_state(void) {
    pgt_table(table, sizeof table, "proxy_many");
    start_proxy();
    vl_upstream up;
    vl_service *svc = open_via_proxy(2, &up);
    /* Every key resident (as absent) first, so that no write waits for a
     * load: a load on a cut connection fails its writes, which would then
     * not have happened. */
    for (int i = 0; i < WRITERS; i++)
        for (int k = 0; k < KEYS; k++) {
            char key[16];
            int n = snprintf(key, sizeof key, "w%d-%d", i, k);
            cread r;
            CHECK_ST(vl_read_sync(svc, key, (size_t)n, cval_read, &r), VL_ENOTFOUND);
        }
    pgfp_cut_after_commit(proxy, 12);
    static writer ws[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        ws[i] = (writer){.id = i, .svc = svc};
        CHECK(pthread_create(&th[i], NULL, writer_main, &ws[i]) == 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(ws[i].bad, 0);
    }
    while (vl_flush_sync(svc) != VL_OK) test_sleep_ms(10);
    printf("# %d commits cut after their COMMIT was sent\n", pgfp_cuts(proxy));
    CHECK(pgfp_cuts(proxy) >= 1);
    vl_pg_stats s;
    CHECK_OK(vl_pg_stats_get(&up, &s));
    CHECK_EQ(s.disconnects, (uint64_t)pgfp_cuts(proxy));
    PGconn *c = pgt_connect();
    CHECK_EQ(our_backends(c), 2); /* one per shard: every old backend ended */
    CHECK_OK(vl_close(svc, NULL));
    int64_t expect_rows = 0;
    for (int i = 0; i < WRITERS; i++)
        for (int k = 0; k < KEYS; k++) {
            char key[16];
            int n = snprintf(key, sizeof key, "w%d-%d", i, k);
            cval v;
            int found = pgt_get(c, table, key, (size_t)n, &v, NULL);
            if (ws[i].last[k] > 0) {
                CHECK_EQ(found, 1);
                CHECK_EQ(v.n, ws[i].last[k]);
                expect_rows++;
            } else {
                CHECK_EQ(found, 0);
            }
        }
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\"", table), expect_rows);
    pgfp_stop(proxy);
    PQfinish(c);
    pgt_drop(table);
}

/* ---- connections cut while loads are in flight ----------------------------- */

#define LOADS 3000

typedef struct lstate {
    _Atomic int inflight, ok, unavailable, wrong;
} lstate;

typedef struct lreq {
    lstate *ls;
    int i;
    _Atomic int done; /* completions seen: must end at exactly 1 */
    vl_status st;
} lreq;

static void on_load(void *arg, vl_status st, const vl_view *v) {
    lreq *q = arg;
    q->st = st;
    if (st == VL_OK && ((const cval *)v->value)->n == q->i) atomic_fetch_add(&q->ls->ok, 1);
    else if (st == VL_EUNAVAILABLE) atomic_fetch_add(&q->ls->unavailable, 1);
    else atomic_fetch_add(&q->ls->wrong, 1);
    atomic_fetch_add(&q->done, 1);
    atomic_fetch_sub(&q->ls->inflight, 1);
}

static void test_cut_during_loads(void) {
    pgt_table(table, sizeof table, "proxy_loads");
    start_proxy();
    vl_upstream up;
    vl_service *svc = open_via_proxy(2, &up);
    PGconn *c = pgt_connect();
    pgt_exec(c, "INSERT INTO \"%s\" SELECT ('l' || i)::bytea, "
                "decode('a2616e19' || lpad(to_hex(i), 4, '0') || '617360', 'hex'), NULL "
                "FROM generate_series(0, %d) i",
             table, LOADS - 1);
    static lreq qs[LOADS];
    lstate ls = {0};
    for (int i = 0; i < LOADS; i++) {
        if (i == LOADS / 2) pgfp_cut_all(proxy);
        while (atomic_load(&ls.inflight) >= 256) sched_yield();
        qs[i] = (lreq){.ls = &ls, .i = i};
        char key[16];
        int n = snprintf(key, sizeof key, "l%d", i);
        atomic_fetch_add(&ls.inflight, 1);
        vl_status st;
        while ((st = vl_read(svc, key, (size_t)n, on_load, &qs[i])) == VL_EBUSY) sched_yield();
        CHECK_OK(st);
    }
    while (atomic_load(&ls.inflight)) sched_yield();
    printf("# %d loads: %d ok, %d failed back with VL_EUNAVAILABLE\n", LOADS, ls.ok,
           ls.unavailable);
    CHECK_EQ(ls.wrong, 0);
    CHECK_EQ(ls.ok + ls.unavailable, LOADS);
    /* Each completed once; the failed ones cached nothing and load again. */
    for (int i = 0; i < LOADS; i++) {
        CHECK_EQ(qs[i].done, 1);
        if (qs[i].st == VL_OK) continue;
        char key[16];
        int n = snprintf(key, sizeof key, "l%d", i);
        cread r;
        CHECK_OK(vl_read_sync(svc, key, (size_t)n, cval_read, &r));
        CHECK_EQ(r.v.n, i);
    }
    CHECK_OK(vl_close(svc, NULL));
    pgfp_stop(proxy);
    PQfinish(c);
    pgt_drop(table);
}

/* FLUSHALL's TRUNCATE waits for a lock another session holds, and its
 * connection is cut meanwhile: the old backend goes on waiting, and runs
 * the TRUNCATE once the lock is released. The clear's failure is held until
 * the TRUNCATE can no longer land (a request timeout after it was sent;
 * the server cancels it at half that), so a write made after the clear is
 * answered is never wiped by it. */
static void test_truncate_cut_while_waiting(void) {
    pgt_table(table, sizeof table, "proxy_truncate");
    start_proxy();
    vl_pg_options po;
    pgt_pg_options(&po, table);
    po.conninfo = proxy_dsn;
    po.request_timeout_ms = 2000;
    vl_options o;
    test_options(&o, 2);
    if (!getenv("PGT_VERBOSE")) o.log = test_log_sink;
    vl_upstream up;
    vl_service *svc = pgt_open(&po, &o, &up);
    PGconn *c = pgt_connect();
    cset a = {{1, "before"}, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "before", 6, cval_set, &a));
    pgt_exec(c, "BEGIN");
    pgt_exec(c, "LOCK TABLE \"%s\" IN ACCESS SHARE MODE", table);
    test_done w = {0, 0};
    int64_t t0 = vl__mono_us();
    CHECK_OK(vl_clear(svc, test_done_cb, &w));
    test_sleep_ms(200); /* the TRUNCATE waits for the lock */
    pgfp_cut_all(proxy);
    test_sleep_ms(200);
    CHECK_EQ(atomic_load(&w.fired), 0);
    pgt_exec(c, "COMMIT"); /* the old backend takes the lock and truncates */
    CHECK(test_done_wait(&w) != VL_OK);
    CHECK(vl__mono_us() - t0 >= 1900000); /* held until it could no longer land */
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\"", table), 0); /* it did land, before */
    a = (cset){{2, "after"}, 0, vl_immediate()};
    for (int i = 0; i < 500 && vl_write_sync(svc, "after", 5, cval_set, &a) != VL_OK; i++)
        test_sleep_ms(10); /* the shard's connection comes back */
    test_sleep_ms(300);
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\" WHERE key = 'after'", table), 1);
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgfp_stop(proxy);
    pgt_drop(table);
}

int main(void) {
    RUN(test_commit_answer_lost);
    RUN(test_many_cuts_exact_final_state);
    RUN(test_cut_during_loads);
    RUN(test_truncate_cut_while_waiting);
    return 0;
}
