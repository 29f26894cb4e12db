/*
 * test_cql_encode.c -- the exact bytes of every request the encoder makes,
 * derived by hand from native_protocol_v4.spec (and v5 for its few
 * differences), and the "all or nothing" rule on failure.
 *
 * Owns: its tests. Threads: single-threaded.
 */
#include <stdio.h>

#include "cql/proto.h"
#include "../support/check.h"

#define EXPECT(buf, ...)                                                       \
    do {                                                                       \
        static const uint8_t want_[] = {__VA_ARGS__};                          \
        expect_bytes(__LINE__, (buf), want_, sizeof want_);                    \
    } while (0)

static void expect_bytes(int line, const vl_buf *b, const uint8_t *want, size_t n) {
    if (b->len == n && memcmp(b->data, want, n) == 0) return;
    fprintf(stderr, "line %d: got %zu bytes, want %zu\n got: ", line, b->len, n);
    for (size_t i = 0; i < b->len; i++) fprintf(stderr, "%02x ", b->data[i]);
    fprintf(stderr, "\nwant: ");
    for (size_t i = 0; i < n; i++) fprintf(stderr, "%02x ", want[i]);
    fprintf(stderr, "\n");
    exit(1);
}

static cql_conf conf(uint8_t version) {
    cql_conf c;
    CHECK_OK(vl__cql_conf_init(&c, version));
    return c;
}

static const uint8_t id4[4] = {0xDE, 0xAD, 0xBE, 0xEF};

static void test_options_startup(void) {
    cql_conf c = conf(CQL_V4);
    vl_buf b = {0};
    CHECK_OK(vl__cql_encode_options(&c, 0, &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00);
    b.len = 0;
    CHECK_OK(vl__cql_encode_startup(&c, 1, &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x16,
           0x00, 0x01,                                      /* one entry */
           0x00, 0x0B, 'C', 'Q', 'L', '_', 'V', 'E', 'R', 'S', 'I', 'O', 'N',
           0x00, 0x05, '3', '.', '0', '.', '0');
    vl_buf_free(&b);
}

static void test_auth(void) {
    cql_conf c = conf(CQL_V4);
    vl_buf b = {0};
    CHECK_OK(vl__cql_encode_auth_plain(&c, 2, vl__cql_str("cassandra"), vl__cql_str("cassandra"), &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x02, 0x0F, 0x00, 0x00, 0x00, 0x18,
           0x00, 0x00, 0x00, 0x14,                          /* [bytes] of 20 */
           0x00, 'c', 'a', 's', 's', 'a', 'n', 'd', 'r', 'a',
           0x00, 'c', 'a', 's', 's', 'a', 'n', 'd', 'r', 'a');
    b.len = 0;
    CHECK_OK(vl__cql_encode_auth_response(&c, 3, vl__cql_slice_of("\x01\x02", 2), &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x03, 0x0F, 0x00, 0x00, 0x00, 0x06,
           0x00, 0x00, 0x00, 0x02, 0x01, 0x02);
    vl_buf_free(&b);
}

static void test_query_plain(void) {
    cql_conf c = conf(CQL_V4);
    vl_buf b = {0};
    cql_params p = {.consistency = CQL_ONE};
    CHECK_OK(vl__cql_encode_query(&c, 3, vl__cql_str("SELECT * FROM t"), &p, &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x03, 0x07, 0x00, 0x00, 0x00, 0x16,
           0x00, 0x00, 0x00, 0x0F, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '*', ' ',
           'F', 'R', 'O', 'M', ' ', 't',
           0x00, 0x01,  /* ONE */
           0x00);       /* flags */
    vl_buf_free(&b);
}

static void test_query_all_params(void) {
    cql_conf c = conf(CQL_V4);
    vl_buf b = {0};
    cql_value vals[4] = {vl__cql_int(7), vl__cql_text("ab"), vl__cql_null(), vl__cql_unset()};
    cql_params p = {
        .consistency = CQL_LOCAL_QUORUM, .values = vals, .n_values = 4,
        .skip_metadata = true, .page_size = 100,
        .paging_state = vl__cql_slice_of("\x01\x02", 2),
        .has_serial = true, .serial_consistency = CQL_LOCAL_SERIAL,
        .has_timestamp = true, .timestamp = 1700000000000000,
    };
    CHECK_OK(vl__cql_encode_query(&c, 0x0102, vl__cql_str("q"), &p, &b));
    EXPECT(&b, 0x04, 0x00, 0x01, 0x02, 0x07, 0x00, 0x00, 0x00, 0x34,
           0x00, 0x00, 0x00, 0x01, 'q',
           0x00, 0x06,                                     /* LOCAL_QUORUM */
           0x3F,                                           /* all six flags */
           0x00, 0x04,                                     /* 4 values */
           0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07, /* int 7 */
           0x00, 0x00, 0x00, 0x02, 'a', 'b',               /* text */
           0xFF, 0xFF, 0xFF, 0xFF,                         /* null */
           0xFF, 0xFF, 0xFF, 0xFE,                         /* unset */
           0x00, 0x00, 0x00, 0x64,                         /* page size 100 */
           0x00, 0x00, 0x00, 0x02, 0x01, 0x02,             /* paging state */
           0x00, 0x09,                                     /* LOCAL_SERIAL */
           0x00, 0x06, 0x0a, 0x24, 0x18, 0x1e, 0x40, 0x00); /* timestamp */
    vl_buf_free(&b);
}

static void test_prepare_execute(void) {
    cql_conf c = conf(CQL_V4);
    vl_buf b = {0};
    CHECK_OK(vl__cql_encode_prepare(&c, 4, vl__cql_str("INSERT INTO kv (key, value) VALUES (?, ?)"), &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x04, 0x09, 0x00, 0x00, 0x00, 0x2D,
           0x00, 0x00, 0x00, 0x29, 'I', 'N', 'S', 'E', 'R', 'T', ' ', 'I', 'N', 'T',
           'O', ' ', 'k', 'v', ' ', '(', 'k', 'e', 'y', ',', ' ', 'v', 'a', 'l', 'u',
           'e', ')', ' ', 'V', 'A', 'L', 'U', 'E', 'S', ' ', '(', '?', ',', ' ', '?',
           ')');
    b.len = 0;
    cql_value vals[6] = {vl__cql_blob("k", 1), vl__cql_bigint(-2), vl__cql_boolean(true),
                         vl__cql_timestamp(1000), vl__cql_null(), vl__cql_unset()};
    cql_params p = {.consistency = CQL_QUORUM, .values = vals, .n_values = 6,
                    .has_timestamp = true, .timestamp = 1700000000000000};
    CHECK_OK(vl__cql_encode_execute(&c, 5, vl__cql_slice_of(id4, 4), &p, &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x05, 0x0A, 0x00, 0x00, 0x00, 0x3D,
           0x00, 0x04, 0xDE, 0xAD, 0xBE, 0xEF,             /* id */
           0x00, 0x04,                                     /* QUORUM */
           0x21,                                           /* values, timestamp */
           0x00, 0x06,
           0x00, 0x00, 0x00, 0x01, 'k',
           0x00, 0x00, 0x00, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
           0x00, 0x00, 0x00, 0x01, 0x01,
           0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,
           0xFF, 0xFF, 0xFF, 0xFF,
           0xFF, 0xFF, 0xFF, 0xFE,
           0x00, 0x06, 0x0a, 0x24, 0x18, 0x1e, 0x40, 0x00);
    vl_buf_free(&b);
}

static void test_batch(void) {
    cql_conf c = conf(CQL_V4);
    vl_buf b = {0};
    cql_value v0[1] = {vl__cql_blob("a", 1)};
    cql_value v1[2] = {vl__cql_blob("b", 1), vl__cql_blob("", 0)};
    cql_batch_stmt st[2] = {
        {.query = vl__cql_str("INSERT INTO kv (key) VALUES (?)"), .values = v0, .n_values = 1},
        {.prepared = true, .id = vl__cql_slice_of(id4, 4), .values = v1, .n_values = 2},
    };
    cql_batch bt = {.type = CQL_BATCH_UNLOGGED, .stmts = st, .n_stmts = 2,
                    .consistency = CQL_LOCAL_QUORUM, .has_timestamp = true,
                    .timestamp = 1700000000000000};
    CHECK_OK(vl__cql_encode_batch(&c, 6, &bt, &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x06, 0x0D, 0x00, 0x00, 0x00, 0x4B,
           0x01, 0x00, 0x02,                               /* UNLOGGED, 2 */
           0x00, 0x00, 0x00, 0x00, 0x1F, 'I', 'N', 'S', 'E', 'R', 'T', ' ', 'I', 'N',
           'T', 'O', ' ', 'k', 'v', ' ', '(', 'k', 'e', 'y', ')', ' ', 'V', 'A', 'L',
           'U', 'E', 'S', ' ', '(', '?', ')',
           0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 'a',
           0x01, 0x00, 0x04, 0xDE, 0xAD, 0xBE, 0xEF,       /* prepared */
           0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 'b', 0x00, 0x00, 0x00, 0x00,
           0x00, 0x06,                                     /* LOCAL_QUORUM */
           0x20,                                           /* timestamp */
           0x00, 0x06, 0x0a, 0x24, 0x18, 0x1e, 0x40, 0x00);
    b.len = 0;
    cql_batch_stmt one = {.prepared = true, .id = vl__cql_slice_of(id4, 4)};
    cql_batch lg = {.type = CQL_BATCH_LOGGED, .stmts = &one, .n_stmts = 1,
                    .consistency = CQL_QUORUM, .has_serial = true,
                    .serial_consistency = CQL_SERIAL};
    CHECK_OK(vl__cql_encode_batch(&c, 7, &lg, &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x07, 0x0D, 0x00, 0x00, 0x00, 0x11,
           0x00, 0x00, 0x01,
           0x01, 0x00, 0x04, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00,
           0x00, 0x04, 0x10, 0x00, 0x08);
    vl_buf_free(&b);
}

static void test_register(void) {
    cql_conf c = conf(CQL_V4);
    vl_buf b = {0};
    const char *ev[2] = {"SCHEMA_CHANGE", "STATUS_CHANGE"};
    CHECK_OK(vl__cql_encode_register(&c, 0, ev, 2, &b));
    EXPECT(&b, 0x04, 0x00, 0x00, 0x00, 0x0B, 0x00, 0x00, 0x00, 0x20,
           0x00, 0x02,
           0x00, 0x0D, 'S', 'C', 'H', 'E', 'M', 'A', '_', 'C', 'H', 'A', 'N', 'G', 'E',
           0x00, 0x0D, 'S', 'T', 'A', 'T', 'U', 'S', '_', 'C', 'H', 'A', 'N', 'G', 'E');
    vl_buf_free(&b);
}

static void test_v5_requests(void) {
    cql_conf c = conf(CQL_V5);
    vl_buf b = {0};
    cql_params p = {.consistency = CQL_ONE, .page_size = 5};
    CHECK_OK(vl__cql_encode_query(&c, 1, vl__cql_str("q"), &p, &b));
    EXPECT(&b, 0x05, 0x00, 0x00, 0x01, 0x07, 0x00, 0x00, 0x00, 0x0F,
           0x00, 0x00, 0x00, 0x01, 'q', 0x00, 0x01,
           0x00, 0x00, 0x00, 0x04,                         /* flags: an [int] */
           0x00, 0x00, 0x00, 0x05);
    b.len = 0;
    CHECK_OK(vl__cql_encode_prepare(&c, 2, vl__cql_str("q"), &b));
    EXPECT(&b, 0x05, 0x00, 0x00, 0x02, 0x09, 0x00, 0x00, 0x00, 0x09,
           0x00, 0x00, 0x00, 0x01, 'q', 0x00, 0x00, 0x00, 0x00);
    b.len = 0;
    cql_params e = {.consistency = CQL_ONE, .result_metadata_id = vl__cql_slice_of("\xAA\xBB", 2)};
    CHECK_OK(vl__cql_encode_execute(&c, 3, vl__cql_slice_of(id4, 4), &e, &b));
    EXPECT(&b, 0x05, 0x00, 0x00, 0x03, 0x0A, 0x00, 0x00, 0x00, 0x10,
           0x00, 0x04, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x02, 0xAA, 0xBB,
           0x00, 0x01, 0x00, 0x00, 0x00, 0x00);
    vl_buf_free(&b);
}

/* A failed encode leaves what was already in the buffer, and nothing else. */
static void test_failures_leave_buffer(void) {
    cql_conf c = conf(CQL_V4);
    vl_buf b = {0};
    CHECK_OK(vl__cql_encode_options(&c, 0, &b));
    size_t len = b.len;
    cql_params p = {.consistency = CQL_ONE};
    CHECK_ST(vl__cql_encode_options(&c, -1, &b), VL_EINVAL);
    CHECK_EQ(b.len, len);
    static uint8_t big[70000];
    CHECK_ST(vl__cql_encode_execute(&c, 1, vl__cql_slice_of(big, sizeof big), &p, &b), VL_EINVAL);
    CHECK_EQ(b.len, len);
    CHECK_ST(vl__cql_encode_auth_plain(&c, 1, vl__cql_slice_of("a\0b", 3), vl__cql_str("pw"), &b), VL_EINVAL);
    CHECK_EQ(b.len, len);
    cql_params neg = {.consistency = CQL_ONE, .has_timestamp = true, .timestamp = -5};
    CHECK_ST(vl__cql_encode_query(&c, 1, vl__cql_str("q"), &neg, &b), VL_EINVAL);
    CHECK_EQ(b.len, len);
    cql_params novals = {.consistency = CQL_ONE, .n_values = 2};
    CHECK_ST(vl__cql_encode_query(&c, 1, vl__cql_str("q"), &novals, &b), VL_EINVAL);
    CHECK_EQ(b.len, len);
    cql_value huge = vl__cql_blob(big, (size_t)INT32_MAX + 1);
    cql_params hp = {.consistency = CQL_ONE, .values = &huge, .n_values = 1};
    CHECK_ST(vl__cql_encode_query(&c, 1, vl__cql_str("q"), &hp, &b), VL_ETOOBIG);
    CHECK_EQ(b.len, len);
    cql_batch bad = {.type = 3};
    CHECK_ST(vl__cql_encode_batch(&c, 1, &bad, &b), VL_EINVAL);
    CHECK_EQ(b.len, len);
    c.max_send = 9 + 22; /* exactly a 22-byte body: 4 + 15 + 3 */
    CHECK_ST(vl__cql_encode_query(&c, 1, vl__cql_str("SELECT 1 FROM tt"), &p, &b), VL_ETOOBIG);
    CHECK_EQ(b.len, len);
    CHECK_OK(vl__cql_encode_query(&c, 1, vl__cql_str("SELECT 1 FROM t"), &p, &b));
    CHECK_EQ(b.len, len + 9 + 22);
    vl_buf_free(&b);
}

static void test_conf(void) {
    cql_conf c;
    CHECK_ST(vl__cql_conf_init(&c, 3), VL_EINVAL);
    CHECK_ST(vl__cql_conf_init(&c, 6), VL_EINVAL);
    CHECK_OK(vl__cql_conf_init(&c, CQL_V4));
    CHECK_EQ(c.max_send, VL_CQL_FRAME_MAX_DEFAULT);
    CHECK_EQ(c.max_recv, VL_CQL_RESPONSE_MAX_DEFAULT);
    CHECK_EQ(vl__cql_header_size(4), 9);
    CHECK_EQ(vl__cql_header_size(5), 9);
    CHECK_EQ(vl__cql_header_size(2), 0);
}

int main(void) {
    RUN(test_conf);
    RUN(test_options_startup);
    RUN(test_auth);
    RUN(test_query_plain);
    RUN(test_query_all_params);
    RUN(test_prepare_execute);
    RUN(test_batch);
    RUN(test_register);
    RUN(test_v5_requests);
    RUN(test_failures_leave_buffer);
    return 0;
}
