/*
 * test_sqlite_corrupt.c -- bad stored bytes end to end. Rows written behind
 * the cache's back with garbage, truncated or oversized values fail their
 * load with a clear status and a log line naming the key; nothing is cached
 * and the shard goes on serving other keys. A database file damaged on disk
 * answers VL_ECORRUPT and the process does not crash.
 *
 * Owns: its scratch directory, services and raw connections. Threads: the
 * test thread plus the shard and the upstream's workers.
 */
#include <fcntl.h>
#include <unistd.h>

#include "sqlite_help.h"
#include "vellir_cbor.h"

/* A value type stored as CBOR: {"n": int}. */
static vl_status c_encode(void *ctx, const void *v, vl_buf *out) {
    (void)ctx;
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    vl_cbor_map(&e, 1);
    vl_cbor_text(&e, "n", 1);
    vl_cbor_int(&e, *(const int64_t *)v);
    return vl_cbor_enc_finish(&e);
}

static vl_status c_decode(void *ctx, const void *k, size_t kl, const uint8_t *b, size_t len,
                          void *v) {
    (void)ctx, (void)k, (void)kl;
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, b, len);
    size_t n;
    const char *name;
    size_t nl;
    int64_t x = 0;
    if (vl_cbor_read_map(&d, &n) && n == 1 && vl_cbor_read_text(&d, &name, &nl) && nl == 1 &&
        name[0] == 'n')
        vl_cbor_read_int(&d, &x);
    *(int64_t *)v = x;
    vl_status st = vl_cbor_dec_finish(&d);
    return st == VL_OK && n == 1 ? VL_OK : VL_ECORRUPT;
}

static const vl_type cbor_counter = {.name = "cbor-counter", .size = 8, .encode = c_encode,
                                     .decode = c_decode};

static void put_cbor(sqlite3 *raw, const char *key, int64_t v, size_t cut) {
    vl_buf b = {0};
    CHECK_OK(c_encode(NULL, &v, &b));
    sqt_put(raw, "vellir", key, b.data, b.len - cut, 0);
    vl_buf_free(&b);
}

static vl_status read_key(vl_service *svc, const char *key, int64_t *out) {
    read_out r = {VL_OK, -1, 0};
    vl_status st = vl_read_sync(svc, key, strlen(key), counter_read, &r);
    *out = r.value;
    return st;
}

static void test_bad_rows(void) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, 1); /* one shard: the corrupt keys and the good ones share it */
    o.log = test_log_sink;
    o.value_max = 64;
    CHECK_OK(sqt_try_open(&so, &cbor_counter, &o));
    sqlite3 *raw = sqt_raw(path);
    for (int i = 0; i < 20; i++) {
        char k[32];
        snprintf(k, sizeof k, "good:%d", i);
        put_cbor(raw, k, i, 0);
    }
    sqt_put(raw, "vellir", "garbage", "\xff\x00\x13\x37 not cbor", 13, 0);
    put_cbor(raw, "truncated", 1234567, 2);
    uint8_t big[100];
    memset(big, 0x40, sizeof big);
    sqt_put(raw, "vellir", "oversized", big, sizeof big, 0);

    vl_service *svc = sqt_open(&so, &cbor_counter, &o, NULL);
    int64_t v;
    CHECK_ST(read_key(svc, "garbage", &v), VL_ECORRUPT);
    CHECK(test_log_contains("key 'garbage': stored value is corrupt"));
    CHECK_ST(read_key(svc, "truncated", &v), VL_ECORRUPT);
    CHECK(test_log_contains("key 'truncated': stored value is corrupt"));
    CHECK_ST(read_key(svc, "oversized", &v), VL_ETOOBIG);
    CHECK(test_log_contains("key 'oversized': stored value of 100 bytes exceeds value_max"));
    /* A write needs the value first: it fails the same way, changing nothing. */
    set_arg a = {5, 0, vl_immediate()};
    CHECK_ST(vl_write_sync(svc, "garbage", 7, counter_set, &a), VL_ECORRUPT);
    /* The shard still serves everything else. */
    for (int i = 0; i < 20; i++) {
        char k[32];
        snprintf(k, sizeof k, "good:%d", i);
        CHECK_OK(read_key(svc, k, &v));
        CHECK_EQ(v, i);
    }
    /* Nothing was cached: a repaired row is read on the next request. */
    put_cbor(raw, "garbage", 99, 0);
    CHECK_OK(read_key(svc, "garbage", &v));
    CHECK_EQ(v, 99);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.corrupt, 3);
    CHECK_EQ(s.keys, 21);
    CHECK_OK(vl_close(svc, NULL));
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

/* Overwrites every page after the first two with junk. */
static void damage_file(const char *path) {
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    off_t size = lseek(fd, 0, SEEK_END);
    uint8_t junk[4096];
    memset(junk, 0xa5, sizeof junk);
    for (off_t off = 2 * 4096; off < size; off += 4096)
        CHECK(pwrite(fd, junk, sizeof junk, off) == (ssize_t)sizeof junk);
    close(fd);
}

static void test_damaged_file(void) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, 2);
    o.log = test_log_sink;
    vl_service *svc = sqt_open(&so, &counter_type, &o, NULL);
    char k[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof k, "row:%05d", i);
        sqt_set(svc, k, i, vl_within(1000));
    }
    CHECK_OK(vl_close(svc, NULL)); /* the last connection checkpoints the WAL */
    damage_file(path);

    svc = sqt_open(&so, &counter_type, &o, NULL);
    int corrupt = 0;
    for (int i = 0; i < 2000; i += 50) {
        snprintf(k, sizeof k, "row:%05d", i);
        vl_status st;
        int64_t v = sqt_get(svc, k, &st);
        CHECK(st == VL_OK || st == VL_ECORRUPT);
        if (st == VL_OK) CHECK(v == i || v == 0);
        corrupt += st == VL_ECORRUPT;
    }
    printf("# %d of 40 loads answered VL_ECORRUPT\n", corrupt);
    CHECK(corrupt > 0);
    CHECK(test_log_contains("SQLITE_CORRUPT"));
    vl_close(svc, NULL); /* commits to a damaged file may fail: not the point here */
    sqt_rmdir(dir);
}

int main(void) {
    RUN(test_bad_rows);
    RUN(test_damaged_file);
    return 0;
}
