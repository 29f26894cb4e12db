/*
 * test_srv_value.c -- vellir-server's value type (server/value.c) and
 * hashes (server/vhash.c): the smallest form of each string, CBOR
 * bytes for each kind (the documented shape, byte for byte), round trips,
 * corrupt and foreign encodings, string resizing, the hash's order, index,
 * deletes and its memory and encoding accounting.
 *
 * Owns: its values. Threads: one.
 */
#include <string.h>

#include "check.h"
#include "value.h"
#include "vhash.h"
#include "vellir_cbor.h"

static vl_buf enc(const sv_value *v) {
    vl_buf b = {0};
    CHECK_OK(sv_type.encode(sv_type.ctx, v, &b));
    return b;
}

static void check_bytes(const vl_buf *b, const char *hex) {
    char got[512] = "";
    for (size_t i = 0; i < b->len && i < 200; i++) sprintf(got + 2 * i, "%02x", b->data[i]);
    if (strcmp(got, hex) != 0) {
        fprintf(stderr, "bytes %s, want %s\n", got, hex);
        CHECK(0);
    }
}

static sv_value decode_ok(const uint8_t *p, size_t n) {
    sv_value v;
    CHECK_OK(sv_type.decode(sv_type.ctx, "k", 1, p, n, &v));
    return v;
}

static void test_forms(void) {
    sv_value v;
    CHECK_OK(sv_set_str(&v, "42", 2));
    CHECK_EQ(v.kind, SV_INT);
    CHECK_EQ(v.u.i, 42);
    sv_clear(&v);
    const char *not_ints[] = {"042", "+1", "-0", " 1", "1 ", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof not_ints / sizeof not_ints[0]; i++) {
        CHECK_OK(sv_set_str(&v, not_ints[i], strlen(not_ints[i])));
        CHECK(v.kind != SV_INT);
        sv_num t;
        const uint8_t *p;
        size_t n;
        sv_str_view(&v, &t, &p, &n);
        CHECK(n == strlen(not_ints[i]) && memcmp(p, not_ints[i], n) == 0);
        sv_clear(&v);
    }
    CHECK_OK(sv_set_str(&v, "-9223372036854775808", 20));
    CHECK_EQ(v.kind, SV_INT);
    CHECK(v.u.i == INT64_MIN);
    CHECK_EQ(sv_str_len(&v), 20);
    CHECK_OK(sv_set_str(&v, "fourteen bytes", 14));
    CHECK_EQ(v.kind, SV_INLINE);
    CHECK_EQ(sv_mem(&v), 0);
    CHECK_OK(sv_set_str(&v, "fifteen bytes!!", 15));
    CHECK_EQ(v.kind, SV_STR);
    CHECK(sv_mem(&v) >= 15);
    sv_clear(&v);
}

/* The CBOR shape of docs/server.md, byte for byte. */
static void test_cbor_shape(void) {
    sv_value v;
    CHECK_OK(sv_set_str(&v, "hello", 5));
    vl_buf b = enc(&v);
    check_bytes(&b, "4568656c6c6f"); /* byte string "hello" */
    CHECK_EQ(sv_enc_size(&v), b.len);
    vl_buf_free(&b);
    sv_clear(&v);
    sv_set_int(&v, 42);
    b = enc(&v);
    check_bytes(&b, "182a"); /* unsigned 42 */
    CHECK_EQ(sv_enc_size(&v), b.len);
    vl_buf_free(&b);
    sv_set_int(&v, -500);
    b = enc(&v);
    check_bytes(&b, "3901f3"); /* negative: -1 - 499 */
    CHECK_EQ(sv_enc_size(&v), b.len);
    vl_buf_free(&b);
    sv_hash *h = vh_new();
    CHECK(vh_set(h, "f", 1, "v", 1) == 1);
    CHECK(vh_set(h, "g", 1, "", 0) == 1);
    sv_set_hash(&v, h);
    b = enc(&v);
    check_bytes(&b, "a241664176416740"); /* {h'66': h'76', h'67': h''} in order */
    CHECK_EQ(sv_enc_size(&v), b.len);
    vl_buf_free(&b);
    sv_clear(&v);
}

static void test_round_trips(void) {
    const char *strs[] = {"", "x", "12", "-7", "a longer string that goes to the heap", "0"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        sv_value v, w;
        CHECK_OK(sv_set_str(&v, strs[i], strlen(strs[i])));
        vl_buf b = enc(&v);
        w = decode_ok(b.data, b.len);
        sv_num t1, t2;
        const uint8_t *p1, *p2;
        size_t n1, n2;
        sv_str_view(&v, &t1, &p1, &n1);
        sv_str_view(&w, &t2, &p2, &n2);
        CHECK(n1 == n2 && memcmp(p1, p2, n1) == 0);
        CHECK_EQ(v.kind, w.kind);
        vl_buf_free(&b);
        sv_clear(&v);
        sv_clear(&w);
    }
    sv_hash *h = vh_new();
    char f[16], val[16];
    for (int i = 0; i < 100; i++) {
        snprintf(f, sizeof f, "f%d", i);
        snprintf(val, sizeof val, "v%d", i * i);
        CHECK_EQ(vh_set(h, f, strlen(f), val, strlen(val)), 1);
    }
    sv_value v;
    sv_set_hash(&v, h);
    vl_buf b = enc(&v);
    CHECK_EQ(sv_enc_size(&v), b.len);
    sv_value w = decode_ok(b.data, b.len);
    CHECK_EQ(w.kind, SV_HASH);
    CHECK_EQ(vh_count(w.u.h), 100);
    for (uint32_t i = 0, k = 0; i < vh_slots(w.u.h); i++) { /* same order */
        const sv_field *x = vh_at(w.u.h, i);
        if (!x) continue;
        snprintf(f, sizeof f, "f%u", k++);
        CHECK(x->flen == strlen(f) && memcmp(vf_name(x), f, x->flen) == 0);
    }
    vl_buf_free(&b);
    sv_clear(&v);
    sv_clear(&w);
}

static void test_foreign_and_corrupt(void) {
    /* A text string, and a map with an integer value, written by others. */
    vl_buf b = {0};
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, &b);
    vl_cbor_text(&e, "hi", 2);
    CHECK_OK(vl_cbor_enc_finish(&e));
    sv_value v = decode_ok(b.data, b.len);
    CHECK_EQ(sv_str_len(&v), 2);
    sv_clear(&v);
    b.len = 0;
    vl_cbor_enc_init(&e, &b);
    vl_cbor_map(&e, 1);
    vl_cbor_text(&e, "n", 1);
    vl_cbor_int(&e, -3);
    CHECK_OK(vl_cbor_enc_finish(&e));
    v = decode_ok(b.data, b.len);
    const sv_field *x = vh_get(v.u.h, "n", 1);
    CHECK(x && x->vlen == 2 && memcmp(vf_value(x), "-3", 2) == 0);
    sv_clear(&v);
    vl_buf_free(&b);
    const struct {
        const char *bytes;
        size_t n;
    } bad[] = {
        {"\xf5", 1},             /* true */
        {"\x82\x01\x02", 3},     /* an array */
        {"\x45hel", 4},          /* truncated */
        {"\x01\x02", 2},         /* two items */
        {"\xa0", 1},             /* an empty map: never written */
        {"\xa1\x01\x02", 3},     /* a map with an integer key */
        {"\xa1\x41x\xf5", 4},    /* a map value that is not a string */
        {"\x3b\xff\xff\xff\xff\xff\xff\xff\xff", 9}, /* below INT64_MIN */
        {"", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sv_value w;
        memset(&w, 0x5a, sizeof w);
        CHECK_ST(sv_type.decode(sv_type.ctx, "k", 1, (const uint8_t *)bad[i].bytes, bad[i].n, &w),
                 VL_ECORRUPT);
    }
}

static void test_resize(void) {
    sv_value v;
    sv_set_int(&v, 123);
    uint8_t *d = sv_str_resize(&v, 5);
    CHECK(d);
    CHECK(memcmp(d, "123\0\0", 5) == 0);
    d[3] = '4';
    d[4] = '5';
    sv_str_done(&v);
    CHECK_EQ(v.kind, SV_INT); /* "12345" is an integer again */
    CHECK_EQ(v.u.i, 12345);
    for (int i = 0; i < 10; i++) { /* APPEND-like growth */
        size_t n = sv_str_len(&v);
        d = sv_str_resize(&v, n + 1000);
        CHECK(d);
        memset(d + n, 'a', 1000);
        sv_str_done(&v);
    }
    CHECK_EQ(v.kind, SV_STR);
    CHECK_EQ(sv_str_len(&v), 10005);
    sv_clear(&v);
}

static void test_hash_order_index_deletes(void) {
    sv_hash *h = vh_new();
    uint64_t base = vh_mem(h);
    char f[16];
    for (int i = 0; i < 5000; i++) { /* past VL_SRV_HASH_INDEX_MIN: indexed */
        snprintf(f, sizeof f, "f%d", i);
        CHECK_EQ(vh_set(h, f, strlen(f), "x", 1), 1);
    }
    CHECK_EQ(vh_set(h, "f7", 2, "updated", 7), 0);
    CHECK_EQ(vh_count(h), 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(f, sizeof f, "f%d", i);
        CHECK(vh_del(h, f, strlen(f)));
        CHECK(!vh_del(h, f, strlen(f)));
    }
    CHECK_EQ(vh_count(h), 2500);
    for (int i = 0; i < 5000; i++) {
        snprintf(f, sizeof f, "f%d", i);
        const sv_field *x = vh_get(h, f, strlen(f));
        CHECK((x != NULL) == (i % 2 == 1));
    }
    const sv_field *x = vh_get(h, "f7", 2);
    CHECK(x && x->vlen == 7);
    int prev = -1; /* order kept through deletes and compaction */
    for (uint32_t i = 0; i < vh_slots(h); i++) {
        const sv_field *y = vh_at(h, i);
        if (!y) continue;
        int n = atoi((const char *)vf_name(y) + 1);
        CHECK(n > prev);
        prev = n;
    }
    sv_value v;
    sv_set_hash(&v, h);
    vl_buf b = enc(&v);
    CHECK_EQ(vh_enc(h), b.len);
    CHECK_EQ(vh_enc_after_set(h, "f1", 2, 3), b.len + 2);
    vl_buf_free(&b);
    for (int i = 1; i < 5000; i += 2) {
        snprintf(f, sizeof f, "f%d", i);
        CHECK(vh_del(h, f, strlen(f)));
    }
    CHECK_EQ(vh_count(h), 0);
    CHECK(vh_mem(h) <= base + 4096); /* compaction gave the memory back */
    sv_clear(&v);
}

int main(void) {
    RUN(test_forms);
    RUN(test_cbor_shape);
    RUN(test_round_trips);
    RUN(test_foreign_and_corrupt);
    RUN(test_resize);
    RUN(test_hash_order_index_deletes);
    return 0;
}
