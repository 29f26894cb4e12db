/*
 * bench_sqlite.c -- the SQLite upstream against plain SQLite, side by side in
 * one run: write-behind flush throughput (batched commits through the cache
 * vs one row per transaction) and miss-load throughput (cold reads through
 * the cache vs a loop of prepared SELECTs). Prints a markdown table of
 * medians and ratios.
 *
 *   bench_sqlite [--quick] [--only flush|loads] [--dir DIR]
 *
 * Owns: its scratch files (under DIR, default $TMPDIR or /tmp) and services.
 * Threads: main, plus the services' shards and the upstream's workers.
 */
#include <inttypes.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "vellir.h"
#include "vellir_cbor.h"
#include "vellir_sqlite.h"

static int runs = 5;
static int rows_batched = 100000, rows_single = 20000, rows_single_full = 300;
static int rows_load = 100000;
static char dir[256];
static const char *only; /* "flush" or "loads": run one half */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define median(v, n) bench_median((v), (size_t)(n))

static void die(const char *what, vl_status st) {
    fprintf(stderr, "bench_sqlite: %s: %s\n", what, vl_strerror(st));
    exit(1);
}

/* ---- the value: {"n": int, "s": text}, about 40 bytes of CBOR ------------ */

static const char filler[] = "the quick brown fox jumps";

static vl_status v_encode(void *ctx, const void *v, vl_buf *out) {
    (void)ctx;
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    vl_cbor_map(&e, 2);
    vl_cbor_text(&e, "n", 1);
    vl_cbor_int(&e, *(const int64_t *)v);
    vl_cbor_text(&e, "s", 1);
    vl_cbor_text(&e, filler, sizeof filler - 1);
    return vl_cbor_enc_finish(&e);
}

static vl_status v_decode_bytes(const uint8_t *b, size_t len, int64_t *out) {
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, b, len);
    size_t n;
    const char *t;
    size_t tl;
    if (vl_cbor_read_map(&d, &n) && n == 2) {
        vl_cbor_read_text(&d, &t, &tl);
        vl_cbor_read_int(&d, out);
        vl_cbor_read_text(&d, &t, &tl);
        vl_cbor_read_text(&d, &t, &tl);
    }
    return vl_cbor_dec_finish(&d);
}

static vl_status v_decode(void *ctx, const void *k, size_t kl, const uint8_t *b, size_t len,
                          void *v) {
    (void)ctx, (void)k, (void)kl;
    return v_decode_bytes(b, len, v);
}

static const vl_type vtype = {.name = "bench", .size = 8, .encode = v_encode, .decode = v_decode};

static int key_of(int i, char *k) { return sprintf(k, "user:%08d", (int)((i * 2654435761u) % 100000000u)); }

/* ---- files ---------------------------------------------------------------- */

static void fresh_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s.db", dir, name);
    char p[320];
    unlink(out);
    snprintf(p, sizeof p, "%s-wal", out);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", out);
    unlink(p);
}

static sqlite3 *raw_open(const char *path, int sync) {
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) die("sqlite3_open", VL_EUNAVAILABLE);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%d;", sync);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS vellir (key BLOB PRIMARY KEY, value BLOB NOT NULL,"
                     " expires_at INTEGER) WITHOUT ROWID", NULL, NULL, NULL);
    return db;
}

/* A service configuration. Zeros are the defaults. */
typedef struct cfg {
    int sync;
    uint32_t group_max, readers, batch_max, inflight;
} cfg;

static vl_service *open_service(const char *path, const cfg *c, vl_upstream *up_out) {
    vl_sqlite_options so;
    vl_sqlite_options_init(&so);
    so.path = path;
    so.synchronous = (vl_sqlite_sync)c->sync;
    so.group_max = c->group_max;
    so.readers = c->readers;
    vl_upstream up;
    vl_status st = vl_sqlite_upstream(&so, &up);
    if (st != VL_OK) die("vl_sqlite_upstream", st);
    vl_options o;
    vl_options_init(&o);
    o.shards = 2;
    if (c->batch_max) o.batch_max = c->batch_max;
    if (c->inflight) o.commit_inflight = c->inflight;
    vl_service *svc;
    if ((st = vl_open(&o, &vtype, &up, &svc)) != VL_OK) die("vl_open", st);
    if (up_out) *up_out = up;
    return svc;
}

/* ---- write-behind flush ------------------------------------------------------ */

static vl_policy set_later(void *arg, vl_mut *m) {
    *(int64_t *)m->value = (int64_t)(intptr_t)arg;
    m->present = true;
    return vl_within(3600 * 1000);
}

static _Atomic int applied;
static void on_applied(void *arg, vl_status st) {
    (void)arg;
    if (st != VL_OK) die("write", st);
    atomic_fetch_add_explicit(&applied, 1, memory_order_release);
}

/* Dirties `n` keys, then times vl_flush. Returns rows/s of the flush. */
typedef struct flush_arg {
    cfg c;
    int n;
    double txns, writer_share; /* of the last run */
} flush_arg;

static double flush_once(flush_arg *f) {
    char path[300], k[32];
    int n = f->n;
    fresh_path(path, sizeof path, "flush");
    vl_upstream up;
    vl_service *svc = open_service(path, &f->c, &up);
    for (int i = 0; i < n; i++) {
        int kl = key_of(i, k);
        vl_status st;
        while ((st = vl_write(svc, k, (size_t)kl, set_later, on_applied, (void *)(intptr_t)i)) ==
               VL_EBUSY)
            sched_yield();
        if (st != VL_OK) die("vl_write", st);
    }
    /* A flush only commits what is dirty when a shard sees it: wait until
     * every write was applied (a WITHIN write completes when applied). */
    while (atomic_load_explicit(&applied, memory_order_acquire) < n) sched_yield();
    atomic_store(&applied, 0);
    double t0 = now_s();
    vl_status st = vl_flush_sync(svc);
    double t = now_s() - t0;
    if (st != VL_OK) die("vl_flush", st);
    vl_sqlite_stats ss;
    vl_sqlite_stats_get(&up, &ss);
    if (ss.keys != (uint64_t)n) die("flush count", VL_EINTERNAL);
    f->txns = (double)ss.transactions;
    f->writer_share = (double)ss.write_us / 1e6 / t;
    vl_close(svc, NULL);
    return n / t;
}

/* The baseline: a loop of single-row transactions with a prepared upsert. */
static double single_rows_once(int sync, int n) {
    char path[300], k[32];
    fresh_path(path, sizeof path, "single");
    sqlite3 *db = raw_open(path, sync);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "INSERT INTO vellir(key, value, expires_at) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                           "expires_at = excluded.expires_at", -1, &q, NULL);
    vl_buf b = {0};
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        int kl = key_of(i, k);
        int64_t v = i;
        b.len = 0;
        v_encode(NULL, &v, &b);
        sqlite3_bind_blob(q, 1, k, kl, SQLITE_STATIC);
        sqlite3_bind_blob(q, 2, b.data, (int)b.len, SQLITE_STATIC);
        sqlite3_bind_null(q, 3);
        if (sqlite3_step(q) != SQLITE_DONE) die("single-row insert", VL_EIO);
        sqlite3_reset(q);
    }
    double t = now_s() - t0;
    vl_buf_free(&b);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n / t;
}

/* The ceiling: every row in one transaction, no cache in between. */
static double one_txn_once(int sync, int n) {
    char path[300], k[32];
    fresh_path(path, sizeof path, "onetxn");
    sqlite3 *db = raw_open(path, sync);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "INSERT INTO vellir(key, value, expires_at) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                           "expires_at = excluded.expires_at", -1, &q, NULL);
    vl_buf b = {0};
    double t0 = now_s();
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (int i = 0; i < n; i++) {
        int kl = key_of(i, k);
        int64_t v = i;
        b.len = 0;
        v_encode(NULL, &v, &b);
        sqlite3_bind_blob(q, 1, k, kl, SQLITE_STATIC);
        sqlite3_bind_blob(q, 2, b.data, (int)b.len, SQLITE_STATIC);
        sqlite3_bind_null(q, 3);
        if (sqlite3_step(q) != SQLITE_DONE) die("insert", VL_EIO);
        sqlite3_reset(q);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double t = now_s() - t0;
    vl_buf_free(&b);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n / t;
}

/* ---- miss loads -------------------------------------------------------------- */

static void preload(const char *path) {
    sqlite3 *db = raw_open(path, 1);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO vellir(key, value) VALUES (?1, ?2)", -1, &q, NULL);
    vl_buf b = {0};
    char k[32];
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < rows_load; i++) {
        int kl = key_of(i, k);
        int64_t v = i;
        b.len = 0;
        v_encode(NULL, &v, &b);
        sqlite3_bind_blob(q, 1, k, kl, SQLITE_STATIC);
        sqlite3_bind_blob(q, 2, b.data, (int)b.len, SQLITE_STATIC);
        sqlite3_step(q);
        sqlite3_reset(q);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    vl_buf_free(&b);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* Order of the reads: a fixed shuffle, the same for both sides. */
static int *order;

static void make_order(void) {
    order = malloc((size_t)rows_load * sizeof *order);
    for (int i = 0; i < rows_load; i++) order[i] = i;
    uint64_t s = 88172645463325252ull;
    for (int i = rows_load - 1; i > 0; i--) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        int j = (int)(s % (uint64_t)(i + 1));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static double select_loop_once(const char *path) {
    sqlite3 *db;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT value, expires_at FROM vellir WHERE key = ?1", -1, &q, NULL);
    char k[32];
    int64_t sum = 0;
    double t0 = now_s();
    for (int i = 0; i < rows_load; i++) {
        int kl = key_of(order[i], k);
        sqlite3_bind_blob(q, 1, k, kl, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_ROW) die("select", VL_ENOTFOUND);
        int64_t v = 0;
        v_decode_bytes(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0), &v);
        sum += v;
        sqlite3_reset(q);
    }
    double t = now_s() - t0;
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (sum != (int64_t)rows_load * (rows_load - 1) / 2) die("select sum", VL_EINTERNAL);
    return rows_load / t;
}

static _Atomic int inflight;
static _Atomic int64_t read_sum, read_bad;

static void on_read(void *arg, vl_status st, const vl_view *v) {
    (void)arg;
    if (st == VL_OK) atomic_fetch_add_explicit(&read_sum, *(const int64_t *)v->value, memory_order_relaxed);
    else atomic_fetch_add(&read_bad, 1);
    atomic_fetch_sub_explicit(&inflight, 1, memory_order_release);
}

#define WINDOW 512

static double cache_loads_once(const char *path, uint32_t readers) {
    cfg c = {1, 0, readers, 0, 0};
    vl_service *svc = open_service(path, &c, NULL);
    atomic_store(&read_sum, 0);
    char k[32];
    double t0 = now_s();
    for (int i = 0; i < rows_load; i++) {
        while (atomic_load_explicit(&inflight, memory_order_acquire) >= WINDOW) sched_yield();
        int kl = key_of(order[i], k);
        atomic_fetch_add(&inflight, 1);
        vl_status st;
        while ((st = vl_read(svc, k, (size_t)kl, on_read, NULL)) == VL_EBUSY) sched_yield();
        if (st != VL_OK) die("vl_read", st);
    }
    while (atomic_load_explicit(&inflight, memory_order_acquire)) sched_yield();
    double t = now_s() - t0;
    vl_stats s;
    vl_stats_get(svc, -1, &s);
    vl_close(svc, NULL);
    if (atomic_load(&read_bad) || s.loads_started != (uint64_t)rows_load ||
        atomic_load(&read_sum) != (int64_t)rows_load * (rows_load - 1) / 2)
        die("cache loads", VL_EINTERNAL);
    return rows_load / t;
}

/* ---- the table ------------------------------------------------------------------- */

static double run_median(double (*fn)(void *), void *arg) {
    double v[16];
    for (int i = 0; i < runs; i++) v[i] = fn(arg);
    return median(v, runs);
}

static double m_flush(void *a) { return flush_once(a); }
typedef struct single_arg { int sync, n; } single_arg;
static double m_single(void *a) {
    single_arg *s = a;
    return single_rows_once(s->sync, s->n);
}
static double m_one_txn(void *a) {
    single_arg *s = a;
    return one_txn_once(s->sync, s->n);
}
typedef struct load_arg { const char *path; uint32_t readers; } load_arg;
static double m_select(void *a) { return select_loop_once(((load_arg *)a)->path); }
static double m_cache_loads(void *a) {
    load_arg *l = a;
    return cache_loads_once(l->path, l->readers);
}

static void row(const char *what, double ours, double base, const char *target) {
    printf("| %s | %.0f | %.0f | %.2fx | %s |\n", what, ours, base, ours / base, target);
    fflush(stdout);
}

static void flush_row(const char *what, flush_arg *f, double base, const char *target) {
    double ours = run_median(m_flush, f);
    char w[200];
    snprintf(w, sizeof w, "%s [%.0f txns, writer busy %.0f%%]", what, f->txns,
             f->writer_share * 100);
    row(w, ours, base, target);
}

static void flush_rows(void) {
    single_arg sn = {1, rows_single}, sf = {2, rows_single_full}, one = {1, rows_batched};
    double base_n = run_median(m_single, &sn), base_f = run_median(m_single, &sf);
    double ceiling = run_median(m_one_txn, &one);
    printf("| flush: plain SQLite, all %d rows in ONE transaction (the ceiling) | %.0f | %.0f | "
           "%.2fx | |\n", rows_batched, ceiling, base_n, ceiling / base_n);
    flush_arg f = {{1, 0, 0, 0, 0}, rows_batched, 0, 0};
    flush_row("flush rows/s, NORMAL, other options default", &f, base_n, "");
    f.c.group_max = 1;
    flush_row("flush rows/s, NORMAL, group_max=1 (no group commit)", &f, base_n, "");
    f.c = (cfg){1, 0, 0, 4096, 16};
    flush_row("flush rows/s, NORMAL, batch_max=4096 commit_inflight=16", &f, base_n, "");
    f.c = (cfg){2, 0, 0, 0, 0};
    flush_row("flush rows/s, FULL (the default), defaults", &f, base_f, ">= 20x");
    printf("\n");
}

static void load_rows(void) {
    char path[300];
    fresh_path(path, sizeof path, "loads");
    preload(path);
    make_order();
    load_arg l = {path, 0};
    double base = run_median(m_select, &l);
    double ours = run_median(m_cache_loads, &l);
    row("miss loads/s (2 shards, 2 readers, window 512)", ours, base, ">= 0.8x");
    uint32_t variants[] = {1, 4};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        l.readers = variants[i];
        char what[96];
        snprintf(what, sizeof what, "miss loads/s (2 shards, %u reader%s, window 512)",
                 variants[i], variants[i] > 1 ? "s" : "");
        row(what, run_median(m_cache_loads, &l), base, "");
    }
}

int main(int argc, char **argv) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s", tmp && *tmp ? tmp : "/tmp");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            runs = 3;
            rows_batched = 20000, rows_single = 5000, rows_single_full = 100, rows_load = 20000;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            snprintf(dir, sizeof dir, "%s", argv[++i]);
        }
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("# bench_sqlite: SQLite %s, %ld CPUs, median of %d runs, files in %s\n\n",
           sqlite3_libversion(), cpus, runs, dir);
    printf("| measurement | vellir | plain SQLite | ratio | target |\n");
    printf("| --- | ---: | ---: | ---: | --- |\n");
    if (!only || strcmp(only, "flush") == 0) flush_rows();
    if (!only || strcmp(only, "loads") == 0) load_rows();
    return 0;
}
