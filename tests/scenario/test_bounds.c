/*
 * test_bounds.c -- the key and byte bounds: eviction keeps the hot keys,
 * never a dirty one; at capacity with everything dirty, requests get
 * VL_EFULL and memory stays bounded; a failing upstream under pressure
 * loses nothing. For both eviction policies.
 *
 * Owns: its services and stores. Threads: the test thread + the shards.
 */
#include "svc.h"

static vl_service *open_bounded(vl_mem *m, uint32_t policy, uint64_t max_keys) {
    vl_options o;
    test_options(&o, 1);
    o.max_keys = max_keys;
    o.evict_policy = policy;
    return test_open(m, &counter_type, &o);
}

static void key(char *k, int i) { snprintf(k, 16, "k%d", i); }

static void read_key(vl_service *svc, int i) {
    char k[16];
    key(k, i);
    read_out r;
    CHECK_OK(vl_read_sync(svc, k, strlen(k), counter_read, &r));
}

static void hot_keys_survive(uint32_t policy) {
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_bounded(m, policy, 1000);
    for (int round = 0; round < 20; round++) /* a hot set, read often */
        for (int i = 0; i < 100; i++) read_key(svc, i);
    for (int i = 1000; i < 5000; i++) { /* a scan of one-time keys */
        read_key(svc, i);
        if (i % 10 == 0)
            for (int h = 0; h < 100; h++) read_key(svc, h);
    }
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_LE(s.keys, 1000);
    CHECK(s.evictions >= 3000);
    int resident = 0;
    for (int i = 0; i < 100; i++) {
        char k[16];
        key(k, i);
        read_out r;
        resident += vl_read_cached_sync(svc, k, strlen(k), counter_read, &r) == VL_OK;
    }
    printf("# policy %u: %d of 100 hot keys resident after a 4000-key scan\n", policy, resident);
    CHECK(resident >= 95);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_hot_keys_survive_lru(void) { hot_keys_survive(VL_EVICT_SAMPLED_LRU); }
static void test_hot_keys_survive_s3fifo(void) { hot_keys_survive(VL_EVICT_S3FIFO); }

static void all_dirty_is_full(uint32_t policy) {
    vl_mem *m = vl_mem_new(1);
    vl_mem_hang(m, true); /* commits never finish: nothing becomes clean */
    vl_service *svc = open_bounded(m, policy, 100);
    vl_mem_hang(m, false);
    for (int i = 0; i < 100; i++) { /* load 100 keys, then dirty them all */
        char k[16];
        key(k, i);
        incr_arg a = {1, vl_within(60000)};
        CHECK_OK(vl_write_sync(svc, k, strlen(k), counter_incr, &a));
    }
    vl_mem_hang(m, true);
    read_out r;
    for (int i = 100; i < 200; i++) {
        char k[16];
        key(k, i);
        CHECK_ST(vl_read_sync(svc, k, strlen(k), counter_read, &r), VL_EFULL);
    }
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.keys, 100);
    CHECK_EQ(s.full, 100);
    CHECK_EQ(s.evictions, 0);
    CHECK_EQ(s.dirty_keys, 100);
    CHECK(s.inflight_commits > 0); /* "full" started a flush */
    vl_mem_hang(m, false);          /* the flush lands; the keys are clean */
    do {
        test_sleep_ms(2);
        CHECK_OK(vl_stats_get(svc, -1, &s));
    } while (s.dirty_keys > 0);
    CHECK_OK(vl_read_sync(svc, "k150", 4, counter_read, &r)); /* room again */
    for (int i = 0; i < 100; i++) {
        char k[16];
        key(k, i);
        CHECK_EQ(test_stored(m, k, strlen(k)), 1);
    }
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_all_dirty_is_full_lru(void) { all_dirty_is_full(VL_EVICT_SAMPLED_LRU); }
static void test_all_dirty_is_full_s3fifo(void) { all_dirty_is_full(VL_EVICT_S3FIFO); }

/* Writes to many keys through a small cache while the upstream fails: the
 * dirty keys stay (requests for new keys may be refused), and everything
 * acknowledged lands once the upstream recovers. */
static void test_failing_upstream_under_pressure_loses_nothing(void) {
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_bounded(m, VL_EVICT_SAMPLED_LRU, 200);
    vl_mem_set_error_rate(m, VL_MEM_COMMITS, 0.7, VL_EUNAVAILABLE);
    static int64_t acked[2000];
    int full = 0;
    for (int i = 0; i < 2000; i++) {
        char k[16];
        key(k, i);
        set_arg a = {i + 1, 0, vl_within(1)};
        vl_status st = vl_write_sync(svc, k, strlen(k), counter_set, &a);
        if (st == VL_OK) {
            acked[i] = i + 1;
        } else {
            CHECK_ST(st, VL_EFULL);
            full++;
        }
        vl_stats s;
        CHECK_OK(vl_stats_get(svc, -1, &s));
        CHECK_LE(s.keys, 200);
    }
    printf("# %d of 2000 writes refused VL_EFULL while the upstream failed\n", full);
    vl_mem_set_error_rate(m, VL_MEM_COMMITS, 0, VL_OK);
    CHECK_OK(vl_close(svc, NULL));
    for (int i = 0; i < 2000; i++) {
        char k[16];
        key(k, i);
        if (acked[i]) CHECK_EQ(test_stored(m, k, strlen(k)), acked[i]);
    }
    vl_mem_free(m);
}

/* max_bytes with a type whose values own heap memory. */
typedef struct blob {
    char *p;
    size_t n;
} blob;
static void blob_destroy(void *c, void *v) { (void)c; free(((blob *)v)->p); }
static vl_status blob_enc(void *c, const void *v, vl_buf *o) {
    (void)c;
    return vl_buf_append(o, ((const blob *)v)->p, ((const blob *)v)->n);
}
static vl_status blob_dec(void *c, const void *k, size_t kl, const uint8_t *b, size_t n, void *v) {
    (void)c, (void)k, (void)kl;
    blob *x = v;
    x->p = malloc(n ? n : 1);
    if (!x->p) return VL_ENOMEM;
    memcpy(x->p, b, n);
    x->n = n;
    return VL_OK;
}
static size_t blob_size(void *c, const void *v) { (void)c; return ((const blob *)v)->n; }
static const vl_type blob_type = {.name = "blob", .size = sizeof(blob), .destroy = blob_destroy,
                                  .encode = blob_enc, .decode = blob_dec, .mem_size = blob_size};
static vl_policy blob_set(void *arg, vl_mut *m) {
    blob *b = m->value;
    if (m->present) free(b->p);
    b->n = *(size_t *)arg;
    b->p = calloc(1, b->n);
    m->present = true;
    return vl_within(1);
}

static void test_byte_bound(void) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    test_options(&o, 1);
    o.max_bytes = 100000;
    vl_service *svc = test_open(m, &blob_type, &o);
    size_t n = 1000;
    for (int i = 0; i < 1000; i++) {
        char k[16];
        key(k, i);
        vl_status st = vl_write_sync(svc, k, strlen(k), blob_set, &n);
        CHECK(st == VL_OK || st == VL_EFULL);
        if (i % 50 == 0) CHECK_OK(vl_flush_sync(svc)); /* let them become clean */
    }
    CHECK_OK(vl_flush_sync(svc));
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    printf("# %llu keys, %llu bytes held (bound 100000), %llu evictions\n",
           (unsigned long long)s.keys, (unsigned long long)s.bytes, (unsigned long long)s.evictions);
    CHECK_LE(s.bytes, 100000 + 1100); /* a growing value may pass it by one value */
    CHECK(s.evictions > 800);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

int main(void) {
    RUN(test_hot_keys_survive_lru);
    RUN(test_hot_keys_survive_s3fifo);
    RUN(test_all_dirty_is_full_lru);
    RUN(test_all_dirty_is_full_s3fifo);
    RUN(test_failing_upstream_under_pressure_loses_nothing);
    RUN(test_byte_bound);
    return 0;
}
