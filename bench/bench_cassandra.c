/*
 * bench_cassandra.c -- vellir's Cassandra upstream against a real node,
 * side by side with direct prepared statements on the same CQL client:
 *
 *   commits/s  one synchronous prepared INSERT at a time, vs the same
 *              INSERTs pipelined (window 256), vs writes through the cache
 *              committed by the upstream (pipelined, per-key executions);
 *   loads/s    one synchronous prepared SELECT at a time, vs pipelined, vs
 *              cold reads through the cache (each one upstream load), vs
 *              warm reads through the cache (served from memory);
 *   coalescing a write-heavy zipf(0.99) workload of increments with
 *              WITHIN(100 ms): upstream writes vs writes made.
 *
 * Every figure is the median of RUNS runs; the variants run one after the
 * other inside each run, so they see the same machine state. Prints a
 * markdown table.
 *
 *   scripts/cassandra-node.sh start
 *   make bench && build/default/bench/bench_cassandra [runs]
 *
 * Uses table vellir_test.bench (dropped and recreated) on 127.0.0.1:9142
 * ($VELLIR_CASSANDRA_PORT).
 *
 * Owns: its loop, connection and services. Threads: the main thread (the
 * direct client's loop runs there) and the services' shards.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cql/conn.h"
#include "util/clock.h"
#include "util/rng.h"
#include "bench_util.h"
#include "vellir_cassandra.h"

#define KS "vellir_test"
#define TABLE "bench"
#define SYNC_N 1500
#define PIPE_N 20000
#define WINDOW 256
#define ZIPF_KEYS 10000
#define ZIPF_WRITES 200000

static uint16_t port;
static uv_loop_t loop;
static cql_conn *conn;
static cql_stmt *ins, *sel;
static bool ready;

static void die(const char *what, vl_status st) {
    fprintf(stderr, "bench_cassandra: %s: %s\n", what, vl_status_name(st));
    exit(1);
}

/* ---- the direct client ----------------------------------------------------------- */

static void on_state(void *arg, cql_conn_state st, vl_status why, const char *detail) {
    (void)arg;
    if (st == CQL_CONN_READY) ready = true;
    if (st == CQL_CONN_BACKOFF) {
        fprintf(stderr, "bench_cassandra: %s\n", detail);
        die("connect", why);
    }
}

static int outstanding;
static _Atomic uint64_t failures;

static void on_reply(void *arg, vl_status st, const cql_response *r) {
    (void)arg, (void)r;
    if (st != VL_OK) failures++;
    outstanding--;
}

static void direct_open(void) {
    cql_conn_opts o;
    vl__cql_conn_opts_init(&o);
    o.port = port;
    o.keyspace = KS;
    o.on_state = on_state;
    o.request_timeout_ms = 60000;
    if (uv_loop_init(&loop) != 0) die("uv_loop_init", VL_ENOMEM);
    vl_status st = vl__cql_conn_new(&loop, &o, &conn);
    if (st != VL_OK) die("vl__cql_conn_new", st);
    vl__cql_conn_start(conn);
    while (!ready) uv_run(&loop, UV_RUN_ONCE);
}

static void run_query(const char *q) {
    cql_params p = {.consistency = CQL_ONE};
    outstanding++;
    vl_status st = vl__cql_conn_query(conn, q, &p, on_reply, NULL);
    if (st != VL_OK) die(q, st);
    while (outstanding) uv_run(&loop, UV_RUN_ONCE);
}

static void submit(bool write, uint32_t i) {
    /* Blob values are borrowed until the reply: they live in a ring larger
     * than the window. */
    static char keys[WINDOW * 2][24];
    static uint8_t vals[WINDOW * 2][8];
    uint32_t slot = i % (WINDOW * 2);
    int n = snprintf(keys[slot], sizeof keys[slot], "d-%u", i % PIPE_N);
    memset(vals[slot], 0, 8);
    memcpy(vals[slot], &i, sizeof i);
    cql_value v[4] = {vl__cql_blob(keys[slot], (size_t)n), vl__cql_blob(vals[slot], 8), vl__cql_unset(),
                      vl__cql_bigint(vl__wall_us())};
    cql_params p = {.consistency = CQL_ONE, .values = v, .n_values = write ? 4 : 1};
    outstanding++;
    vl_status st = vl__cql_conn_execute(conn, write ? ins : sel, &p, on_reply, NULL);
    if (st != VL_OK) die("execute", st);
}

/* `n` executions with at most `window` in flight; returns per second. */
static double direct_run(bool write, uint32_t n, int window) {
    int64_t t0 = vl__mono_us();
    for (uint32_t i = 0; i < n; i++) {
        while (outstanding >= window) uv_run(&loop, UV_RUN_ONCE);
        submit(write, i);
    }
    while (outstanding) uv_run(&loop, UV_RUN_ONCE);
    return n / ((double)(vl__mono_us() - t0) / 1e6);
}

/* ---- through the cache ------------------------------------------------------------- */

static vl_status b_encode(void *ctx, const void *value, vl_buf *out) {
    (void)ctx;
    return vl_buf_append(out, value, 8);
}
static vl_status b_decode(void *ctx, const void *k, size_t kl, const uint8_t *b, size_t n, void *v) {
    (void)ctx, (void)k, (void)kl;
    if (n != 8) return VL_ECORRUPT;
    memcpy(v, b, 8);
    return VL_OK;
}
static vl_status b_init(void *ctx, const void *k, size_t kl, void *v) {
    (void)ctx, (void)k, (void)kl;
    memset(v, 0, 8);
    return VL_OK;
}
static const vl_type btype = {.name = "bench", .size = 8, .init = b_init, .encode = b_encode, .decode = b_decode};

static vl_service *svc_open(void) {
    vl_cassandra_options co;
    vl_cassandra_options_init(&co);
    co.port = port;
    co.keyspace = KS;
    co.table = TABLE;
    co.consistency = VL_CASSANDRA_ONE;
    vl_upstream up;
    vl_status st = vl_cassandra_upstream(&co, &up);
    if (st != VL_OK) die("vl_cassandra_upstream", st);
    vl_options o;
    vl_options_init(&o);
    vl_service *svc;
    st = vl_open(&o, &btype, &up, &svc);
    if (st != VL_OK) die("vl_open", st);
    return svc;
}

static _Atomic int64_t in_flight;

static void done_cb(void *arg, vl_status st) {
    (void)arg;
    if (st != VL_OK) failures++;
    atomic_fetch_sub(&in_flight, 1);
}

static void read_cb(void *arg, vl_status st, const vl_view *v) {
    (void)v;
    done_cb(arg, st == VL_ENOTFOUND ? VL_OK : st);
}

static vl_policy set_fn(void *arg, vl_mut *m) {
    uint64_t x = (uint64_t)(uintptr_t)arg;
    memcpy(m->value, &x, 8);
    m->present = true;
    return vl_within(1000);
}

static vl_policy incr_fn(void *arg, vl_mut *m) {
    (void)arg;
    uint64_t x;
    memcpy(&x, m->value, 8);
    x++;
    memcpy(m->value, &x, 8);
    m->present = true;
    return vl_within(100);
}

static void wait_below(int64_t n) {
    while (atomic_load(&in_flight) >= n) {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
}

static void issue(vl_status (*fn)(void)) {
    vl_status st;
    atomic_fetch_add(&in_flight, 1);
    while ((st = fn()) == VL_EBUSY) wait_below(1);
    if (st != VL_OK) die("request", st);
}

static vl_service *cur;
static char cur_key[24];
static size_t cur_len;
static uint64_t cur_val;
static vl_status do_write(void) {
    return vl_write(cur, cur_key, cur_len, set_fn, done_cb, (void *)(uintptr_t)cur_val);
}
static vl_status do_read(void) { return vl_read(cur, cur_key, cur_len, read_cb, NULL); }
static vl_status do_incr(void) { return vl_write(cur, cur_key, cur_len, incr_fn, done_cb, NULL); }

/* PIPE_N distinct resident keys written (WITHIN 1 s), then flushed: keys
 * committed per second, from the first write to the flush's completion. */
static double cache_commits(vl_service *svc) {
    cur = svc;
    int64_t t0 = vl__mono_us();
    for (uint32_t i = 0; i < PIPE_N; i++) {
        cur_len = (size_t)snprintf(cur_key, sizeof cur_key, "c-%u", i);
        cur_val = i;
        wait_below(4096);
        issue(do_write);
    }
    wait_below(1);
    vl_status st = vl_flush_sync(svc);
    if (st != VL_OK) die("flush", st);
    return PIPE_N / ((double)(vl__mono_us() - t0) / 1e6);
}

/* Reads of PIPE_N keys with `prefix`: per second. */
static double cache_reads(vl_service *svc, const char *prefix) {
    cur = svc;
    int64_t t0 = vl__mono_us();
    for (uint32_t i = 0; i < PIPE_N; i++) {
        cur_len = (size_t)snprintf(cur_key, sizeof cur_key, "%s-%u", prefix, i);
        wait_below(WINDOW * 4);
        issue(do_read);
    }
    wait_below(1);
    return PIPE_N / ((double)(vl__mono_us() - t0) / 1e6);
}

/* ---- zipf ---------------------------------------------------------------------------- */

static bench_zipf zipf;

static void zipf_init(double s) {
    if (bench_zipf_init(&zipf, s, ZIPF_KEYS) != 0) exit(1);
}

static int zipf_draw(vl_rng *r) { return (int)bench_zipf_draw(&zipf, vl__rng_unit(r)); }

/* Returns the upstream writes of ZIPF_WRITES increments; *keys gets the
 * number of distinct keys written. */
static uint64_t zipf_run(uint64_t seed, uint64_t *keys, double *secs) {
    vl_service *svc = svc_open();
    cur = svc;
    vl_rng rng = {seed};
    static bool seen[ZIPF_KEYS];
    memset(seen, 0, sizeof seen);
    int64_t t0 = vl__mono_us();
    for (uint32_t i = 0; i < ZIPF_WRITES; i++) {
        int k = zipf_draw(&rng);
        seen[k] = true;
        cur_len = (size_t)snprintf(cur_key, sizeof cur_key, "z-%d", k);
        wait_below(4096);
        issue(do_incr);
    }
    wait_below(1);
    vl_status st = vl_flush_sync(svc);
    if (st != VL_OK) die("flush", st);
    *secs = (double)(vl__mono_us() - t0) / 1e6;
    vl_stats s;
    vl_stats_get(svc, -1, &s);
    vl_close(svc, NULL);
    *keys = 0;
    for (int i = 0; i < ZIPF_KEYS; i++) *keys += seen[i];
    return s.commit_keys;
}

/* ---- main ------------------------------------------------------------------------------- */

#define median(v, n) bench_median((v), (size_t)(n))

enum { SYNC_W, PIPE_W, CACHE_W, SYNC_R, PIPE_R, COLD_R, WARM_R, NCOLS };

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 50) runs = 5;
    const char *p = getenv("VELLIR_CASSANDRA_PORT");
    port = p && *p ? (uint16_t)atoi(p) : 9142;
    direct_open();
    run_query("DROP TABLE IF EXISTS " KS "." TABLE);
    run_query("CREATE TABLE " KS "." TABLE " (key blob PRIMARY KEY, value blob)");
    /* Registered now that the table exists: prepared on first use. */
    ins = vl__cql_conn_statement(conn, "INSERT INTO " TABLE " (key, value) VALUES (?, ?) USING TTL ? AND TIMESTAMP ?");
    sel = vl__cql_conn_statement(conn, "SELECT value, TTL(value) FROM " TABLE " WHERE key = ?");
    zipf_init(0.99);
    double r[NCOLS][50];
    uint64_t zw = 0, zk = 0, up_writes = 0;
    double zsecs = 0;
    for (int i = 0; i < runs; i++) {
        r[SYNC_W][i] = direct_run(true, SYNC_N, 1);
        r[PIPE_W][i] = direct_run(true, PIPE_N, WINDOW);
        r[SYNC_R][i] = direct_run(false, SYNC_N, 1);
        r[PIPE_R][i] = direct_run(false, PIPE_N, WINDOW);
        vl_service *svc = svc_open(); /* cold: nothing resident */
        r[COLD_R][i] = cache_reads(svc, "c");
        r[CACHE_W][i] = cache_commits(svc); /* resident now: no load before a write */
        r[WARM_R][i] = cache_reads(svc, "c");
        vl_close(svc, NULL);
        double secs;
        uint64_t keys, w = zipf_run((uint64_t)i + 1, &keys, &secs);
        up_writes += w;
        zk += keys;
        zw += ZIPF_WRITES;
        zsecs += secs;
        fprintf(stderr, "run %d/%d done\n", i + 1, runs);
    }
    double m[NCOLS];
    for (int c = 0; c < NCOLS; c++) m[c] = median(r[c], runs);
    printf("Cassandra 5.0.9 on 127.0.0.1:%u, medians of %d runs (one shard per CPU, "
           "value 8 bytes, consistency ONE)\n\n", port, runs);
    printf("| operation | per second | vs one at a time |\n|---|---:|---:|\n");
    printf("| INSERT, one synchronous prepared execution at a time | %.0f | 1.0x |\n", m[SYNC_W]);
    printf("| INSERT, pipelined on one connection (window %d) | %.0f | %.1fx |\n", WINDOW,
           m[PIPE_W], m[PIPE_W] / m[SYNC_W]);
    printf("| writes through vellir, committed by the upstream (pipelined) | %.0f | %.1fx |\n",
           m[CACHE_W], m[CACHE_W] / m[SYNC_W]);
    printf("| SELECT, one synchronous prepared execution at a time | %.0f | 1.0x |\n", m[SYNC_R]);
    printf("| SELECT, pipelined on one connection (window %d) | %.0f | %.1fx |\n", WINDOW,
           m[PIPE_R], m[PIPE_R] / m[SYNC_R]);
    printf("| reads through vellir, cold (one upstream load each) | %.0f | %.1fx |\n", m[COLD_R],
           m[COLD_R] / m[SYNC_R]);
    printf("| reads through vellir, warm (from memory) | %.0f | %.1fx |\n", m[WARM_R],
           m[WARM_R] / m[SYNC_R]);
    printf("\nWrite-heavy zipf(0.99) over %d keys, WITHIN(100 ms) increments, %d runs: "
           "%llu writes to %llu distinct keys became %llu upstream writes "
           "(%.1f%% saved, %.0f writes/s through the cache).\n",
           ZIPF_KEYS, runs, (unsigned long long)zw, (unsigned long long)(zk / (uint64_t)runs),
           (unsigned long long)up_writes, 100.0 * (1.0 - (double)up_writes / (double)zw),
           (double)zw / zsecs);
    if (failures) printf("\n%llu requests failed.\n", (unsigned long long)atomic_load(&failures));
    vl__cql_conn_close(conn, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return failures ? 1 : 0;
}
