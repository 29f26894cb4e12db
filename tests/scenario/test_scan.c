/*
 * test_scan.c -- vl_scan on the memory upstream: a whole scan returns the
 * live keys exactly (stored ones, plus those written and not committed,
 * minus pending deletes and expired keys), in order, each once, with pages
 * of at most COUNT; the races of docs/scan.md (a delete committed and its
 * entry evicted while the upstream's page is on its way, a new key
 * committed and evicted meanwhile, a clear meanwhile); the hashed order of
 * an upstream with its own positions; failures, refusals, shutdown, and
 * writers running during scans.
 *
 * Owns: its services and stores. Threads: the test thread, writer threads,
 * the shards, the memory store's worker.
 */
#include "scanall.h"
#include "svc.h"
#include "util/clock.h"

/* The test's key i ("key:00042"), and the same as two arguments, key and
 * length: the key is written before either is read. */
#define K(buf, i) (snprintf((buf), sizeof(buf), "key:%05d", (i)), (buf))
#define KL(buf, i) K(buf, i), (size_t)snprintf((buf), sizeof(buf), "key:%05d", (i))

static void seed(vl_mem *m, int from, int to, int64_t expires_at) {
    uint8_t b[8];
    char k[32];
    for (int i = from; i < to; i++) {
        counter_bytes(i, b);
        CHECK_OK(vl_mem_put(m, KL(k, i), b, 8, expires_at));
    }
}

static void set_key(vl_service *svc, const char *k, int64_t v, vl_policy p, int64_t exp) {
    set_arg a = {v, exp, p};
    CHECK_OK(vl_write_sync(svc, k, strlen(k), counter_set, &a));
}

/* Waits until the store has seen `n` scan pages. */
static void wait_scans(vl_mem *m, uint64_t n) {
    vl_mem_counts c;
    for (;;) {
        vl_mem_totals(m, &c);
        if (c.scans >= n) return;
        test_sleep_ms(1);
    }
}

/* A page answered asynchronously, kept for the test to look at. */
typedef struct async_page {
    _Atomic int done;
    vl_status st;
    scan_keys keys; /* unsorted: in page order */
    bool end;
} async_page;

static void on_async(void *arg, vl_status st, const vl_scan_page *page) {
    async_page *a = arg;
    a->st = st;
    if (st == VL_OK) {
        a->end = page->end;
        a->keys.key = calloc(page->count + 1, sizeof *a->keys.key);
        a->keys.len = calloc(page->count + 1, sizeof *a->keys.len);
        for (uint32_t i = 0; i < page->count; i++) {
            a->keys.key[i] = strndup(page->keys[i].key, page->keys[i].len);
            a->keys.len[i] = page->keys[i].len;
        }
        a->keys.n = page->count;
    }
    atomic_store(&a->done, 1);
}

static void wait_page(async_page *a) {
    while (!atomic_load(&a->done)) test_sleep_ms(1);
}

static bool page_has(const async_page *a, const char *k) {
    for (size_t i = 0; i < a->keys.n; i++)
        if (strcmp(a->keys.key[i], k) == 0) return true;
    return false;
}

/* ---- the live set ---------------------------------------------------------- */

/* 2,000 stored keys (100 of them expired in the table), with 300 deleted and
 * 200 written anew without a commit, 50 of those already expired, and a
 * key bound that keeps most keys out of memory: each page size gives
 * exactly the live set. */
static void test_whole_scan_is_the_live_set(void) {
    vl_mem *m = vl_mem_new(1);
    seed(m, 0, 2000, 0);
    seed(m, 2000, 2100, vl_time_ms() - 1000);  /* expired rows: never returned */
    vl_options o;
    test_options(&o, 3);
    o.max_keys = 900; /* the 500 dirty keys fit; most clean ones do not */
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    char k[32];
    read_out r;
    for (int i = 0; i < 2000; i += 2) /* half of them read once: resident, clean */
        (void)vl_read_sync(svc, KL(k, i), counter_read, &r);
    for (int i = 0; i < 300; i++) /* deleted, not committed */
        CHECK_OK(vl_delete_sync(svc, KL(k, i * 5), vl_within(60000)));
    for (int i = 3000; i < 3200; i++) /* new, not committed; 50 already expired */
        set_key(svc, K(k, i), i, vl_within(60000), i < 3050 ? vl_time_ms() + 30 : 0);
    test_sleep_ms(40);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.dirty_keys, 500);
    const uint32_t counts[] = {TEST_TSAN ? 5 : 1, 7, 10, 128, 1000, VL_SCAN_COUNT_MAX};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        scan_keys got;
        CHECK_OK(scan_all(svc, counts[c], NULL, &got));
        CHECK_EQ(got.n, 2000 - 300 + 150);
        for (int i = 0; i < 2000; i++)
            CHECK(scan_has(&got, K(k, i)) == (i % 5 != 0 || i >= 1500));
        for (int i = 2000; i < 2100; i++) CHECK(!scan_has(&got, K(k, i)));
        for (int i = 3000; i < 3200; i++) CHECK(scan_has(&got, K(k, i)) == (i >= 3050));
        if (counts[c] >= 2000) CHECK_EQ(got.pages, 1);
        if (counts[c] == 10) CHECK(got.pages >= 185);
        scan_keys_free(&got);
    }
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* The same live set in the order of another position function. */
static void test_hashed_order(void) {
    vl_mem *m = vl_mem_new(2);
    seed(m, 0, 500, 0);
    vl_options o;
    test_options(&o, 2);
    vl_upstream up = vl_mem_upstream_hashed(m);
    vl_service *svc = NULL;
    CHECK_OK(vl_open(&o, &counter_type_absent, &up, &svc));
    char k[32];
    for (int i = 0; i < 100; i++) CHECK_OK(vl_delete_sync(svc, KL(k, i), vl_within(60000)));
    for (int i = 1000; i < 1100; i++) set_key(svc, K(k, i), i, vl_within(60000), 0);
    for (uint32_t count = 1; count <= 1000; count *= 10) {
        scan_keys got;
        CHECK_OK(scan_all(svc, count, scan_hashed_order, &got)); /* checks the order */
        CHECK_EQ(got.n, 500);
        for (int i = 0; i < 500; i++) CHECK(scan_has(&got, K(k, i)) == (i >= 100));
        for (int i = 1000; i < 1100; i++) CHECK(scan_has(&got, K(k, i)));
        scan_keys_free(&got);
    }
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* Only dirty keys, many more than a page: each shard's list is cut at
 * COUNT, and the window with it; nothing is lost. */
static void test_dirty_beyond_a_page(void) {
    vl_mem *m = vl_mem_new(3);
    vl_options o;
    test_options(&o, 4);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    char k[32];
    for (int i = 0; i < 3000; i++) set_key(svc, K(k, i), i, vl_within(60000), 0);
    scan_keys got;
    CHECK_OK(scan_all(svc, 50, NULL, &got));
    CHECK_EQ(got.n, 3000);
    CHECK(got.pages >= 60);
    scan_keys_free(&got);
    CHECK_EQ(vl_mem_count(m), 0); /* nothing was committed for it */
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* The empty key is a key like any other; an empty service is one page. */
static void test_empty_key_and_empty_service(void) {
    vl_mem *m = vl_mem_new(4);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    scan_keys got;
    CHECK_OK(scan_all(svc, 10, NULL, &got));
    CHECK_EQ(got.n, 0);
    CHECK_EQ(got.pages, 1);
    scan_keys_free(&got);
    set_key(svc, "", 1, vl_immediate(), 0);
    set_key(svc, "a", 2, vl_within(60000), 0);
    CHECK_OK(scan_all(svc, 1, NULL, &got));
    CHECK_EQ(got.n, 2);
    CHECK(scan_has(&got, "") && scan_has(&got, "a"));
    scan_keys_free(&got);
    /* After the empty position: the empty key is not in the page. */
    async_page a = {0};
    CHECK_OK(vl_scan(svc, "", 0, 10, on_async, &a));
    wait_page(&a);
    CHECK_OK(a.st);
    CHECK_EQ(a.keys.n, 1);
    CHECK(page_has(&a, "a") && a.end);
    scan_keys_free(&a.keys);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* ---- the races of docs/scan.md ------------------------------------------------ */

/* A delete acknowledged before vl_scan, committed and its entry evicted
 * while the upstream's page (read before the commit) is on its way: not in
 * the page. A key written before vl_scan and committed and evicted
 * meanwhile: in it, although the upstream's page lacks it. */
static void test_commit_and_evict_during_the_read(void) {
    vl_mem *m = vl_mem_new(5);
    seed(m, 0, 20, 0);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    char gone[32], fresh[32];
    K(gone, 7);
    K(fresh, 100);
    CHECK_OK(vl_delete_sync(svc, gone, strlen(gone), vl_within(60000)));
    set_key(svc, fresh, 1, vl_within(60000), 0);
    vl_mem_set_scan_delay(m, 200000);
    async_page a = {0};
    CHECK_OK(vl_scan(svc, NULL, 0, 100, on_async, &a));
    wait_scans(m, 1); /* the page is read: it has `gone`, not `fresh` */
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(test_stored(m, gone, strlen(gone)), -1);
    CHECK_EQ(test_stored(m, fresh, strlen(fresh)), 1);
    CHECK_OK(vl_evict_sync(svc, gone, strlen(gone)));
    CHECK_OK(vl_evict_sync(svc, fresh, strlen(fresh)));
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.keys, 0);
    CHECK_EQ(atomic_load(&a.done), 0); /* still on its way */
    wait_page(&a);
    CHECK_OK(a.st);
    CHECK(!page_has(&a, gone));
    CHECK(page_has(&a, fresh));
    CHECK_EQ(a.keys.n, 20);
    scan_keys_free(&a.keys);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* A stored key that expires while the page is on its way is not returned. */
static void test_expiry_during_the_read(void) {
    vl_mem *m = vl_mem_new(6);
    seed(m, 0, 10, 0);
    seed(m, 10, 20, vl_time_ms() + 100);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    set_key(svc, "dirty-expiring", 1, vl_within(60000), vl_time_ms() + 100);
    vl_mem_set_scan_delay(m, 250000);
    async_page a = {0};
    CHECK_OK(vl_scan(svc, NULL, 0, 100, on_async, &a));
    wait_page(&a);
    CHECK_OK(a.st);
    CHECK_EQ(a.keys.n, 10);
    CHECK(!page_has(&a, "dirty-expiring"));
    scan_keys_free(&a.keys);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

typedef struct clear_wait {
    _Atomic int done;
    _Atomic int64_t at_us;
} clear_wait;

static void on_cleared(void *arg, vl_status st) {
    clear_wait *w = arg;
    CHECK_OK(st);
    atomic_store(&w->at_us, vl__mono_us());
    atomic_store(&w->done, 1);
}

/* A clear while a page is being read: the clear waits for the read (no
 * read in flight while the table is truncated), and the page does not
 * bring back a key the clear removed. */
static void test_clear_during_the_read(void) {
    vl_mem *m = vl_mem_new(7);
    seed(m, 0, 50, 0);
    vl_options o;
    test_options(&o, 3);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    vl_mem_set_scan_delay(m, 150000);
    async_page a = {0};
    int64_t t0 = vl__mono_us();
    CHECK_OK(vl_scan(svc, NULL, 0, 100, on_async, &a));
    wait_scans(m, 1);
    clear_wait w = {0, 0};
    CHECK_OK(vl_clear(svc, on_cleared, &w));
    while (!atomic_load(&w.done)) test_sleep_ms(1);
    int64_t cleared_at = atomic_load(&w.at_us);
    wait_page(&a);
    CHECK_OK(a.st);
    CHECK_EQ(a.keys.n, 0); /* read before the truncate, judged after it */
    scan_keys_free(&a.keys);
    CHECK(cleared_at - t0 >= 140000); /* the truncate waited for the read */
    /* A write after the clear is listed as usual. */
    set_key(svc, "after", 1, vl_within(60000), 0);
    scan_keys got;
    CHECK_OK(scan_all(svc, 10, NULL, &got));
    CHECK_EQ(got.n, 1);
    CHECK(scan_has(&got, "after"));
    scan_keys_free(&got);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* ---- failures, refusals, shutdown ------------------------------------------------ */

static void test_failures_and_refusals(void) {
    vl_mem *m = vl_mem_new(8);
    seed(m, 0, 10, 0);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    vl_mem_fail_next(m, VL_MEM_LOADS, 1, VL_ETIMEOUT);
    CHECK_ST(vl_scan_sync(svc, NULL, 0, 10, NULL, NULL), VL_ETIMEOUT);
    CHECK_OK(vl_scan_sync(svc, NULL, 0, 10, NULL, NULL));
    vl_mem_crash(m);
    CHECK_ST(vl_scan_sync(svc, NULL, 0, 10, NULL, NULL), VL_EUNAVAILABLE);
    vl_mem_recover(m);
    CHECK_ST(vl_scan(svc, NULL, 0, 0, on_async, NULL), VL_EINVAL);
    CHECK_ST(vl_scan(svc, NULL, 0, VL_SCAN_COUNT_MAX + 1, on_async, NULL), VL_EINVAL);
    CHECK_ST(vl_scan(svc, NULL, 3, 10, on_async, NULL), VL_EINVAL);
    CHECK_ST(vl_scan(svc, NULL, 0, 10, NULL, NULL), VL_EINVAL);
    CHECK_ST(vl_scan(NULL, NULL, 0, 10, on_async, NULL), VL_EINVAL);
    CHECK_OK(vl_close(svc, NULL));
    /* An upstream without a scan op. */
    vl_upstream base = vl_mem_upstream(m);
    vl_upstream_ops ops = *base.ops;
    ops.scan = NULL;
    vl_upstream up = {&ops, m, NULL};
    CHECK_OK(vl_open(&o, &counter_type_absent, &up, &svc));
    CHECK_ST(vl_scan(svc, NULL, 0, 10, on_async, NULL), VL_EINVAL);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* Pages in flight when the service closes are answered before vl_close
 * returns; a scan after the close began is refused. */
static void test_shutdown_with_pages_in_flight(void) {
    vl_mem *m = vl_mem_new(9);
    seed(m, 0, 100, 0);
    vl_options o;
    test_options(&o, 3);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    vl_mem_set_scan_delay(m, 50000);
    static async_page pages[8];
    for (int i = 0; i < 8; i++) CHECK_OK(vl_scan(svc, NULL, 0, 1000, on_async, &pages[i]));
    CHECK_OK(vl_shutdown(svc, NULL, NULL));
    CHECK_ST(vl_scan(svc, NULL, 0, 10, on_async, NULL), VL_ECLOSED);
    CHECK_OK(vl_close(svc, NULL));
    for (int i = 0; i < 8; i++) {
        CHECK(atomic_load(&pages[i].done));
        CHECK_OK(pages[i].st);
        CHECK_EQ(pages[i].keys.n, 100);
        scan_keys_free(&pages[i].keys);
    }
    vl_mem_free(m);
}

/* ---- writers during scans ------------------------------------------------------------ */

typedef struct churn {
    vl_service *svc;
    _Atomic int stop;
    uint64_t seed;
} churn;

/* Writes, deletes and re-creates keys 1000..1999 only. */
static void *churn_main(void *arg) {
    churn *c = arg;
    char k[32];
    uint64_t x = c->seed;
    while (!atomic_load(&c->stop)) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int i = 1000 + (int)((x >> 33) % 1000);
        K(k, i);
        if ((x >> 20) & 1) {
            set_arg a = {i, 0, (x >> 21) & 1 ? vl_immediate() : vl_within(5)};
            (void)vl_write_sync(c->svc, k, strlen(k), counter_set, &a);
        } else {
            (void)vl_delete_sync(c->svc, k, strlen(k), vl_within(3));
        }
    }
    return NULL;
}

/* Keys 0..999 are present throughout, keys 2000..2999 were deleted before
 * every scan: each scan returns all of the first and none of the second,
 * while two threads churn keys 1000..1999 (with evictions: a small bound). */
static void test_scans_while_writers_churn(void) {
    vl_mem *m = vl_mem_new(10);
    seed(m, 0, 3000, 0);
    vl_options o;
    test_options(&o, 3);
    o.max_keys = 1500;
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    char k[32];
    for (int i = 2000; i < 3000; i++)
        CHECK_OK(vl_delete_sync(svc, KL(k, i), i % 2 ? vl_within(60000) : vl_within(1)));
    churn c[2] = {{svc, 0, 1}, {svc, 0, 2}};
    pthread_t th[2];
    for (int t = 0; t < 2; t++) CHECK(pthread_create(&th[t], NULL, churn_main, &c[t]) == 0);
    int rounds = TEST_TSAN ? 3 : 12;
    for (int r = 0; r < rounds; r++) {
        scan_keys got;
        CHECK_OK(scan_all(svc, r % 2 ? 37 : 500, NULL, &got));
        for (int i = 0; i < 1000; i++) CHECK(scan_has(&got, K(k, i)));
        for (int i = 2000; i < 3000; i++) CHECK(!scan_has(&got, K(k, i)));
        scan_keys_free(&got);
    }
    for (int t = 0; t < 2; t++) atomic_store(&c[t].stop, 1);
    for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

int main(void) {
    RUN(test_whole_scan_is_the_live_set);
    RUN(test_hashed_order);
    RUN(test_dirty_beyond_a_page);
    RUN(test_empty_key_and_empty_service);
    RUN(test_commit_and_evict_during_the_read);
    RUN(test_expiry_during_the_read);
    RUN(test_clear_during_the_read);
    RUN(test_failures_and_refusals);
    RUN(test_shutdown_with_pages_in_flight);
    RUN(test_scans_while_writers_churn);
    return 0;
}
