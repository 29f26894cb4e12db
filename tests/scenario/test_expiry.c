/*
 * test_expiry.c -- expiry from writes, from vl_expire, from the type and
 * from the upstream: an expired value is never returned on any path, the
 * active cycle reclaims keys nobody touches, and an expiry reaches the
 * upstream's expires_at.
 *
 * Owns: its services and stores. Threads: the test thread + the shards.
 */
#include "svc.h"
#include "util/clock.h"

static vl_service *open_n(vl_mem *m, const vl_type *t, uint32_t shards) {
    vl_options o;
    test_options(&o, shards);
    return test_open(m, t, &o);
}

static void test_expired_value_never_returned(void) {
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_n(m, &counter_type_absent, 2);
    int64_t soon = vl__wall_ms() + 50;
    set_arg a = {7, soon, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "e1", 2, counter_set, &a));
    CHECK_OK(vl_write_sync(svc, "e2", 2, counter_set, &a));
    CHECK_OK(vl_write_sync(svc, "e3", 2, counter_set, &a));
    int64_t at = 0;
    CHECK_OK(vl_mem_get(m, "e1", 2, NULL, &at));
    CHECK_EQ(at, soon); /* the expiry reached the upstream */
    read_out r;
    CHECK_OK(vl_read_sync(svc, "e1", 2, counter_read, &r));
    CHECK_EQ(r.expires_at, soon);
    test_sleep_ms(80);
    /* every path sees it gone */
    CHECK_ST(vl_read_sync(svc, "e1", 2, counter_read, &r), VL_ENOTFOUND);
    /* not found if the access expires it; not cached if the active cycle
     * dropped it first: never the value */
    vl_status st = vl_read_cached_sync(svc, "e2", 2, counter_read, &r);
    CHECK(st == VL_ENOTFOUND || st == VL_ENOTCACHED);
    incr_arg inc = {1, vl_immediate()}; /* a write sees it absent: starts from 0 */
    CHECK_OK(vl_write_sync(svc, "e3", 2, counter_incr, &inc));
    CHECK_OK(vl_read_sync(svc, "e3", 2, counter_read, &r));
    CHECK_EQ(r.value, 1);
    CHECK_EQ(r.expires_at, 0);
    CHECK_ST(vl_expire_sync(svc, "e2", 2, vl__wall_ms() + 10000, vl_immediate()), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL));
    /* a fresh service does not bring them back from the upstream */
    svc = open_n(m, &counter_type_absent, 2);
    CHECK_ST(vl_read_sync(svc, "e1", 2, counter_read, &r), VL_ENOTFOUND);
    CHECK_ST(vl_read_sync(svc, "e2", 2, counter_read, &r), VL_ENOTFOUND);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.loads_started, 2);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_expire_call_sets_and_commits(void) {
    vl_mem *m = vl_mem_new(1);
    uint8_t b[8];
    counter_bytes(5, b);
    CHECK_OK(vl_mem_put(m, "k", 1, b, 8, 0));
    vl_service *svc = open_n(m, &counter_type_absent, 1);
    int64_t at = vl__wall_ms() + 3600 * 1000;
    CHECK_OK(vl_expire_sync(svc, "k", 1, at, vl_immediate()));
    int64_t stored_at = 0;
    CHECK_OK(vl_mem_get(m, "k", 1, NULL, &stored_at));
    CHECK_EQ(stored_at, at);
    CHECK_OK(vl_expire_sync(svc, "k", 1, 0, vl_immediate())); /* persist */
    CHECK_OK(vl_mem_get(m, "k", 1, NULL, &stored_at));
    CHECK_EQ(stored_at, 0);
    CHECK_OK(vl_expire_sync(svc, "k", 1, 1, vl_immediate())); /* in the past: gone */
    CHECK_EQ(test_stored(m, "k", 1), -1);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "k", 1, counter_read, &r), VL_ENOTFOUND);
    CHECK_ST(vl_expire_sync(svc, "nokey", 5, at, vl_immediate()), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* A type that carries its expiry in the value: {value, expires_at}. */
typedef struct tv {
    int64_t v, at;
} tv;
static vl_status tv_enc(void *c, const void *v, vl_buf *o) { (void)c; return vl_buf_append(o, v, sizeof(tv)); }
static vl_status tv_dec(void *c, const void *k, size_t kl, const uint8_t *b, size_t n, void *v) {
    (void)c, (void)k, (void)kl;
    if (n != sizeof(tv)) return VL_ECORRUPT;
    memcpy(v, b, sizeof(tv));
    return VL_OK;
}
static int64_t tv_at(void *c, const void *v) { (void)c; return ((const tv *)v)->at; }
static const vl_type tv_type = {.name = "tv", .size = sizeof(tv), .encode = tv_enc,
                                .decode = tv_dec, .expires_at = tv_at};
static vl_policy tv_set(void *arg, vl_mut *m) {
    *(tv *)m->value = *(tv *)arg;
    m->present = true;
    m->expires_at = 12345; /* ignored: the type's expiry is authoritative */
    return vl_immediate();
}
static void tv_read(void *arg, vl_status st, const vl_view *v) {
    *(int64_t *)arg = st == VL_OK ? v->expires_at : -1;
}

static void test_type_carries_expiry(void) {
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_n(m, &tv_type, 1);
    tv val = {1, vl__wall_ms() + 60};
    CHECK_OK(vl_write_sync(svc, "t", 1, tv_set, &val));
    int64_t at = 0;
    CHECK_OK(vl_read_sync(svc, "t", 1, tv_read, &at));
    CHECK_EQ(at, val.at);
    CHECK_OK(vl_mem_get(m, "t", 1, NULL, &at));
    CHECK_EQ(at, val.at);
    test_sleep_ms(90);
    CHECK_ST(vl_read_sync(svc, "t", 1, tv_read, &at), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

#define MANY 100000

static void test_active_cycle_reclaims_untouched_keys(void) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    int64_t at = vl__wall_ms() + 300;
    static set_arg sets[MANY];
    for (int i = 0; i < MANY; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "x%d", i);
        sets[i] = (set_arg){i, at, vl_noop()}; /* memory only: clean, expiring */
        vl_status st;
        while ((st = vl_write(svc, k, (size_t)n, counter_set, NULL, &sets[i])) == VL_EBUSY)
            test_sleep_ms(1);
        CHECK_OK(st);
    }
    vl_stats s;
    do {
        test_sleep_ms(10);
        CHECK_OK(vl_stats_get(svc, -1, &s));
    } while (s.misses < MANY); /* every write arrived (each was a new key) */
    int64_t waited = 0, t0 = vl__mono_ms();
    do { /* no accesses at all: only the active cycle can reclaim them */
        test_sleep_ms(20);
        CHECK_OK(vl_stats_get(svc, -1, &s));
        waited = vl__mono_ms() - t0;
    } while (s.expired_active < MANY * 9 / 10 && waited < 20000);
    printf("# %llu of %d expired keys reclaimed actively, %lld ms after they expired\n",
           (unsigned long long)s.expired_active, MANY, (long long)(vl__wall_ms() - at));
    CHECK(s.expired_active >= MANY * 9 / 10);
    CHECK_EQ(s.expired_lazy, 0);
    CHECK_LE(s.keys, MANY / 10);
    CHECK_LE(s.expiring_keys, MANY / 10);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* The expiring_keys gauge follows expiries set, removed and deleted. */
static void test_expiring_gauge(void) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    int64_t at = vl__wall_ms() + 60000;
    for (int i = 0; i < 10; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "e%d", i);
        set_arg a = {i, i < 8 ? at : 0, vl_within(60000)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.expiring_keys, 8);
    CHECK_OK(vl_delete_sync(svc, "e0", 2, vl_within(60000)));
    set_arg clear = {1, 0, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "e1", 2, counter_set, &clear));
    CHECK_OK(vl_expire_sync(svc, "e9", 2, at, vl_within(60000)));
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.expiring_keys, 7);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

int main(void) {
    RUN(test_expiring_gauge);
    RUN(test_expired_value_never_returned);
    RUN(test_expire_call_sets_and_commits);
    RUN(test_type_carries_expiry);
    RUN(test_active_cycle_reclaims_untouched_keys);
    return 0;
}
