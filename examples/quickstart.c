/*
 * quickstart.c -- the smallest complete vellir program: counters in front of
 * the in-process memory upstream, written back within 100 ms.
 *
 * Owns: its service and store. Threads: main, plus the service's shards
 * (the type's functions and the callbacks run there).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vellir.h"
#include "vellir_memory.h"

/* The value type: one int64, stored upstream as 8 little-endian bytes. */
static vl_status ctr_init(void *ctx, const void *k, size_t kl, void *v) {
    (void)ctx, (void)k, (void)kl;
    *(int64_t *)v = 0; /* a key the database lacks starts at 0 */
    return VL_OK;
}
static vl_status ctr_encode(void *ctx, const void *v, vl_buf *out) {
    (void)ctx;
    uint8_t b[8];
    uint64_t u = (uint64_t) * (const int64_t *)v;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(u >> (8 * i));
    return vl_buf_append(out, b, 8);
}
static vl_status ctr_decode(void *ctx, const void *k, size_t kl, const uint8_t *b, size_t n,
                            void *v) {
    (void)ctx, (void)k, (void)kl;
    if (n != 8) return VL_ECORRUPT;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)b[i] << (8 * i);
    *(int64_t *)v = (int64_t)u;
    return VL_OK;
}
static const vl_type counter = {.name = "counter", .size = sizeof(int64_t), .init = ctr_init,
                                .encode = ctr_encode, .decode = ctr_decode};

/* A write: add one, and ask for a commit within 100 ms. */
static vl_policy incr(void *arg, vl_mut *m) {
    (void)arg;
    *(int64_t *)m->value += 1;
    return vl_within(100);
}

/* A read: copy the value out (this runs on the key's shard). */
static void get(void *arg, vl_status st, const vl_view *v) {
    if (st == VL_OK) *(int64_t *)arg = *(const int64_t *)v->value;
}

int main(void) {
    vl_mem *db = vl_mem_new(42);
    vl_upstream up = vl_mem_upstream(db);
    vl_service *svc;
    vl_status st = vl_open(NULL, &counter, &up, &svc);
    if (st != VL_OK) {
        fprintf(stderr, "vl_open: %s\n", vl_strerror(st));
        return 1;
    }
    const char *keys[] = {"page:home", "page:about", "page:blog"};
    for (int i = 0; i < 30000; i++) {
        const char *k = keys[i % 3];
        if ((st = vl_write_sync(svc, k, strlen(k), incr, NULL)) != VL_OK) {
            fprintf(stderr, "write: %s\n", vl_strerror(st));
            return 1;
        }
    }
    int64_t home = 0;
    vl_read_sync(svc, "page:home", 9, get, &home);
    vl_stats s;
    vl_stats_get(svc, -1, &s);
    printf("page:home = %" PRId64 " after 30000 increments over 3 keys\n", home);
    printf("writes %" PRIu64 ", coalesced %" PRIu64 ", upstream commits %" PRIu64
           " (%" PRIu64 " keys), loads %" PRIu64 "\n",
           s.writes, s.writes_coalesced, s.commits, s.commit_keys, s.loads_started);
    vl_close_report rep;
    st = vl_close(svc, &rep); /* flushes everything dirty */
    vl_mem_counts c;
    vl_mem_totals(db, &c);
    printf("closed (%s); the database saw %" PRIu64 " loads and %" PRIu64 " key writes\n",
           vl_strerror(st), c.loads, c.commit_keys);
    vl_mem_free(db);
    return st == VL_OK && home == 10000 ? 0 : 1;
}
