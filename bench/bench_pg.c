/*
 * bench_pg.c -- the PostgreSQL upstream against a real server: commit
 * throughput of batched multi-row upserts (ARRAYS), pipelined one-row
 * statements (ROWS), one statement per row through the cache (one
 * transaction each), and one autocommit statement per row straight through
 * libpq; load throughput of cold reads through the cache (pipelined) versus
 * direct prepared SELECTs one at a time. Prints a markdown table: the median
 * of several runs, min and max, and ratios.
 *
 *   scripts/pg-node.sh start
 *   build/default/bench/bench_pg [runs]        (VELLIR_PG_DSN to point elsewhere)
 *
 * Owns: its table (bench_pg_<pid>, dropped at the end). Threads: the main
 * thread (issues requests, runs libpq directly) and the service's shards.
 */
#include <libpq-fe.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vellir_cbor.h"
#include "vellir_pg.h"

#define VALUE_BYTES 32
#define WINDOW 512 /* cold reads in flight */

static char table[64];
static char dsn[256];

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why) {
    fprintf(stderr, "bench_pg: %s: %s\n", what, why);
    exit(1);
}

/* ---- a value: 32 bytes, stored as a CBOR byte string ---------------------- */

typedef struct blob {
    uint8_t b[VALUE_BYTES];
} blob;

static vl_status b_encode(void *ctx, const void *v, vl_buf *out) {
    (void)ctx;
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    vl_cbor_bytes(&e, ((const blob *)v)->b, VALUE_BYTES);
    return vl_cbor_enc_finish(&e);
}

static vl_status b_decode(void *ctx, const void *k, size_t kl, const uint8_t *p, size_t n, void *v) {
    (void)ctx, (void)k, (void)kl;
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, p, n);
    const uint8_t *x;
    size_t xn;
    if (vl_cbor_read_bytes(&d, &x, &xn) && xn == VALUE_BYTES) memcpy(v, x, VALUE_BYTES);
    return vl_cbor_dec_finish(&d);
}

static const vl_type blob_type = {.name = "blob", .size = sizeof(blob), .encode = b_encode,
                                  .decode = b_decode};

static vl_policy set_blob(void *arg, vl_mut *m) {
    memset(m->value, (int)(uintptr_t)arg, VALUE_BYTES);
    m->present = true;
    return vl_within(600000);
}

static int key_of(char *k, int i) { return snprintf(k, 16, "b%08d", i); }

/* ---- libpq directly ------------------------------------------------------------ */

static PGconn *connect_direct(void) {
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) die("connect", PQerrorMessage(c));
    return c;
}

static void exec_ok(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql, PQresultErrorMessage(r));
    PQclear(r);
}

static void truncate_table(void) {
    PGconn *c = connect_direct();
    char sql[128];
    snprintf(sql, sizeof sql, "TRUNCATE \"%s\"", table);
    exec_ok(c, sql);
    PQfinish(c);
}

/* The encoded bytes set_blob's value commits as (CBOR: 58 20 + 32 bytes). */
static void value_bytes(uint8_t out[VALUE_BYTES + 2], int fill) {
    out[0] = 0x58;
    out[1] = VALUE_BYTES;
    memset(out + 2, fill, VALUE_BYTES);
}

/* One autocommit upsert per row, each waiting for its answer. */
static double direct_commits(int n) {
    PGconn *c = connect_direct();
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO \"%s\" (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE "
             "SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at",
             table);
    PQclear(PQprepare(c, "up", sql, 2, NULL));
    uint8_t v[VALUE_BYTES + 2];
    value_bytes(v, 7);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        char k[16];
        int kl = key_of(k, i);
        const char *vals[2] = {k, (const char *)v};
        int lens[2] = {kl, (int)sizeof v}, fmts[2] = {1, 1};
        PGresult *r = PQexecPrepared(c, "up", 2, vals, lens, fmts, 1);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) die("upsert", PQresultErrorMessage(r));
        PQclear(r);
    }
    double dt = now_s() - t0;
    PQfinish(c);
    return n / dt;
}

/* One prepared SELECT at a time. */
static double direct_loads(int n) {
    PGconn *c = connect_direct();
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT value, (EXTRACT(EPOCH FROM expires_at) * 1000)::int8 FROM \"%s\" "
             "WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())",
             table);
    PQclear(PQprepare(c, "ld", sql, 1, NULL));
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        char k[16];
        int kl = key_of(k, i);
        const char *vals[1] = {k};
        int lens[1] = {kl}, fmts[1] = {1};
        PGresult *r = PQexecPrepared(c, "ld", 1, vals, lens, fmts, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
            die("select", PQresultErrorMessage(r));
        PQclear(r);
    }
    double dt = now_s() - t0;
    PQfinish(c);
    return n / dt;
}

/* ---- through the cache ------------------------------------------------------------ */

static vl_service *open_svc(vl_pg_commit_mode mode, uint32_t batch_max, uint32_t inflight) {
    vl_pg_options po;
    vl_pg_options_init(&po);
    po.conninfo = dsn;
    po.table = table;
    po.create = true;
    po.commit_mode = mode;
    vl_upstream up;
    if (vl_pg_upstream(&po, &up) != VL_OK) die("vl_pg_upstream", "bad options");
    vl_options o;
    vl_options_init(&o);
    o.shards = 1;
    o.batch_max = batch_max;
    o.commit_inflight = inflight;
    vl_service *svc;
    vl_status st = vl_open(&o, &blob_type, &up, &svc);
    if (st != VL_OK) {
        up.release(up.ctx);
        die("vl_open (is the instance running? scripts/pg-node.sh start)", vl_strerror(st));
    }
    return svc;
}

static _Atomic int inflight_ops, bad_ops;

static void on_write(void *arg, vl_status st) {
    (void)arg;
    if (st != VL_OK) atomic_fetch_add(&bad_ops, 1);
    atomic_fetch_sub(&inflight_ops, 1);
}

/* Dirties n keys in memory, then times the flush that commits them. */
static double cache_commits(vl_pg_commit_mode mode, uint32_t batch_max, uint32_t inflight,
                            int n) {
    vl_service *svc = open_svc(mode, batch_max, inflight);
    for (int i = 0; i < n; i++) { /* each write loads its key (absent) first */
        while (atomic_load(&inflight_ops) >= WINDOW) sched_yield();
        char k[16];
        int kl = key_of(k, i);
        atomic_fetch_add(&inflight_ops, 1);
        vl_status st;
        while ((st = vl_write(svc, k, (size_t)kl, set_blob, on_write, (void *)(uintptr_t)7)) ==
               VL_EBUSY)
            sched_yield();
        if (st != VL_OK) die("write", vl_strerror(st));
    }
    while (atomic_load(&inflight_ops)) sched_yield();
    if (atomic_load(&bad_ops)) die("write", "some writes failed");
    double t0 = now_s();
    vl_status st = vl_flush_sync(svc);
    double dt = now_s() - t0;
    if (st != VL_OK) die("flush", vl_strerror(st));
    vl_close(svc, NULL);
    return n / dt;
}

static void on_read(void *arg, vl_status st, const vl_view *v) {
    (void)arg, (void)v;
    if (st != VL_OK) atomic_fetch_add(&bad_ops, 1);
    atomic_fetch_sub(&inflight_ops, 1);
}

/* Reads n keys through a fresh cache, WINDOW at a time; `twice`: time the
 * second pass (all hits) instead of the first (all loads). */
static double cache_reads(int n, int twice) {
    vl_service *svc = open_svc(VL_PG_COMMIT_DEFAULT, 0, 0);
    double t0 = 0, dt = 0;
    for (int pass = 0; pass <= twice; pass++) {
        t0 = now_s();
        for (int i = 0; i < n; i++) {
            while (atomic_load(&inflight_ops) >= WINDOW) sched_yield();
            char k[16];
            int kl = key_of(k, i);
            atomic_fetch_add(&inflight_ops, 1);
            vl_status st;
            while ((st = vl_read(svc, k, (size_t)kl, on_read, NULL)) == VL_EBUSY) sched_yield();
            if (st != VL_OK) die("read", vl_strerror(st));
        }
        while (atomic_load(&inflight_ops)) sched_yield();
        dt = now_s() - t0;
    }
    if (atomic_load(&bad_ops)) die("read", "some reads failed");
    vl_close(svc, NULL);
    return n / dt;
}

/* ---- runs and the table ----------------------------------------------------------- */

typedef struct row {
    const char *name;
    double v[32];
    double med, min, max;
} row;

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summarize(row *r, int runs) {
    qsort(r->v, (size_t)runs, sizeof r->v[0], cmp);
    r->min = r->v[0];
    r->max = r->v[runs - 1];
    r->med = runs % 2 ? r->v[runs / 2] : (r->v[runs / 2 - 1] + r->v[runs / 2]) / 2;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 32) runs = 5;
    const char *env = getenv("VELLIR_PG_DSN");
    const char *port = getenv("VELLIR_PG_PORT");
    if (env && *env) snprintf(dsn, sizeof dsn, "%s", env);
    else snprintf(dsn, sizeof dsn, "postgresql://vellir@127.0.0.1:%s/vellir_test",
                  port && *port ? port : "15432");
    snprintf(table, sizeof table, "bench_pg_%ld", (long)getpid());
    const int n_batch = 20000, n_row = 2000, n_load = 20000;

    enum { ARR, ROWS, PERROW, DIRECT, LOAD_CACHE, LOAD_DIRECT, HOT, NR };
    row rows[NR] = {
        {"commit: cache, ARRAYS (multi-row upsert), batch 256 x 4 in flight", {0}, 0, 0, 0},
        {"commit: cache, ROWS (pipelined 1-row statements), batch 256 x 4", {0}, 0, 0, 0},
        {"commit: cache, one statement per row (batch 1, 1 in flight)", {0}, 0, 0, 0},
        {"commit: libpq, one autocommit upsert per row", {0}, 0, 0, 0},
        {"load: cache, cold keys, 512 reads in flight (pipelined)", {0}, 0, 0, 0},
        {"load: libpq, prepared SELECT one at a time", {0}, 0, 0, 0},
        {"read: cache, hot keys (no SELECT), for scale", {0}, 0, 0, 0},
    };
    (void)cache_commits(VL_PG_COMMIT_ARRAYS, 256, 4, 10); /* creates the table */
    fprintf(stderr, "bench_pg: %d runs against %s, table %s\n", runs, dsn, table);
    for (int r = 0; r < runs; r++) {
        /* Side by side in each run, each on an empty table (inserts). */
        truncate_table();
        rows[ARR].v[r] = cache_commits(VL_PG_COMMIT_ARRAYS, 256, 4, n_batch);
        truncate_table();
        rows[ROWS].v[r] = cache_commits(VL_PG_COMMIT_ROWS, 256, 4, n_batch);
        truncate_table();
        rows[PERROW].v[r] = cache_commits(VL_PG_COMMIT_ROWS, 1, 1, n_row);
        truncate_table();
        rows[DIRECT].v[r] = direct_commits(n_row);
        truncate_table();
        (void)cache_commits(VL_PG_COMMIT_ARRAYS, 256, 4, n_load);
        rows[LOAD_CACHE].v[r] = cache_reads(n_load, 0);
        rows[LOAD_DIRECT].v[r] = direct_loads(n_load);
        rows[HOT].v[r] = cache_reads(n_load, 1);
        fprintf(stderr, "bench_pg: run %d/%d done\n", r + 1, runs);
    }
    for (int i = 0; i < NR; i++) summarize(&rows[i], runs);
    printf("| scenario | median /s | min /s | max /s | ratio |\n|---|---:|---:|---:|---|\n");
    for (int i = 0; i < NR; i++) {
        char ratio[96] = "";
        if (i <= DIRECT)
            snprintf(ratio, sizeof ratio, "%.1fx per-row (cache), %.1fx per-row (libpq)",
                     rows[i].med / rows[PERROW].med, rows[i].med / rows[DIRECT].med);
        else if (i != LOAD_DIRECT)
            snprintf(ratio, sizeof ratio, "%.1fx direct SELECT", rows[i].med / rows[LOAD_DIRECT].med);
        printf("| %s | %.0f | %.0f | %.0f | %s |\n", rows[i].name, rows[i].med, rows[i].min,
               rows[i].max, ratio);
    }
    printf("\nrows: commits %d keys per run (per-row scenarios %d), loads %d keys; "
           "%d runs; 1 shard; values 34 bytes (CBOR); fsync and synchronous_commit on.\n",
           n_batch, n_row, n_load, runs);
    PGconn *c = connect_direct();
    char sql[128];
    snprintf(sql, sizeof sql, "DROP TABLE \"%s\"", table);
    exec_ok(c, sql);
    PQfinish(c);
    return 0;
}
