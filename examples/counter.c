/*
 * counter.c -- counters on the embedded default: SQLite, values in CBOR,
 * each increment committed within 100 ms (so a burst is one write). It
 * checks that every increment reached the file by reopening it.
 *
 * Owns: its service and data file ($VELLIR_DATA_DIR, default ./data).
 * Threads: main, plus the shards (type functions and callbacks) and the
 * SQLite upstream's worker threads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vellir.h"
#include "vellir_cbor.h"
#include "vellir_sqlite.h"

static vl_status c_init(void *ctx, const void *k, size_t kl, void *v) {
    (void)ctx, (void)k, (void)kl;
    *(int64_t *)v = 0; /* a key not in the file starts at 0 */
    return VL_OK;
}
static vl_status c_encode(void *ctx, const void *v, vl_buf *out) {
    (void)ctx;
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    vl_cbor_int(&e, *(const int64_t *)v);
    return vl_cbor_enc_finish(&e);
}
static vl_status c_decode(void *ctx, const void *k, size_t kl, const uint8_t *b, size_t n, void *v) {
    (void)ctx, (void)k, (void)kl;
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, b, n);
    vl_cbor_read_int(&d, (int64_t *)v);
    return vl_cbor_dec_finish(&d);
}
static const vl_type counter = {.name = "counter", .size = sizeof(int64_t), .init = c_init,
                                .encode = c_encode, .decode = c_decode};

static vl_policy incr(void *arg, vl_mut *m) {
    (void)arg;
    *(int64_t *)m->value += 1;
    return vl_within(100);
}
static void get(void *arg, vl_status st, const vl_view *v) {
    if (st == VL_OK) *(int64_t *)arg = *(const int64_t *)v->value;
}

static vl_service *open_db(const char *path, vl_upstream *up) {
    vl_sqlite_options so;
    vl_sqlite_options_init(&so);
    so.path = path;
    so.table = "counters";
    vl_service *svc = NULL;
    vl_status st = vl_sqlite_upstream(&so, up);
    if (st == VL_OK && (st = vl_open(NULL, &counter, up, &svc)) != VL_OK) up->release(up->ctx);
    if (st != VL_OK) fprintf(stderr, "cannot open %s: %s\n", path, vl_strerror(st));
    return svc;
}

static int64_t read_home(vl_service *svc) {
    int64_t v = -1;
    vl_read_sync(svc, "page:home", 9, get, &v);
    return v;
}

int main(void) {
    const char *dir = getenv("VELLIR_DATA_DIR");
    if (!dir || !*dir) dir = "./data";
    mkdir(dir, 0777); /* may exist already */
    char path[4096];
    snprintf(path, sizeof path, "%s/counter.db", dir);
    vl_upstream up;
    vl_service *svc = open_db(path, &up);
    if (!svc) return 1;
    int64_t before = read_home(svc); /* what earlier runs left in the file */
    const char *keys[] = {"page:home", "page:about", "page:blog"};
    for (int i = 0; i < 30000; i++)
        if (vl_write_sync(svc, keys[i % 3], strlen(keys[i % 3]), incr, NULL) != VL_OK) return 1;
    int64_t after = read_home(svc);
    vl_stats s;
    vl_sqlite_stats q;
    vl_stats_get(svc, -1, &s);
    vl_status st = vl_close(svc, NULL); /* commits what is still dirty */
    printf("data file: %s (table \"counters\")\n", path);
    printf("page:home: %" PRId64 " -> %" PRId64 " after 30000 increments over 3 keys\n", before,
           after);
    printf("cache: %" PRIu64 " writes, %" PRIu64 " coalesced, %" PRIu64 " loads, %" PRIu64
           " commit batches (%" PRIu64 " keys written)\n",
           s.writes, s.writes_coalesced, s.loads_started, s.commits, s.commit_keys);
    /* Reopen: the file must hold the last value. */
    if (!(svc = open_db(path, &up))) return 1;
    int64_t stored = read_home(svc);
    vl_sqlite_stats_get(&up, &q);
    vl_close(svc, NULL);
    printf("reopened: page:home = %" PRId64 " (loaded back from SQLite, %" PRIu64 " load)\n",
           stored, q.loads);
    int ok = st == VL_OK && after == before + 10000 && stored == after;
    printf("%s\n", ok ? "ok: every increment is in the file" : "FAILED");
    return ok ? 0 : 1;
}
