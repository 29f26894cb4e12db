/*
 * test_cql_value.c -- typed values (building and reading) and the table of
 * CQL error codes with their statuses and retry rules.
 *
 * Owns: its tests. Threads: single-threaded.
 */
#include "cql/proto.h"
#include "../support/check.h"

static void test_build(void) {
    cql_value v = vl__cql_int(-2);
    CHECK_EQ(v.len, 4);
    CHECK(v.p == NULL && memcmp(vl__cql_value_data(&v), "\xff\xff\xff\xfe", 4) == 0);
    v = vl__cql_bigint(0x0102030405060708);
    CHECK(v.len == 8 && memcmp(vl__cql_value_data(&v), "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
    v = vl__cql_timestamp(1000);
    CHECK(v.len == 8 && vl__cql_value_data(&v)[6] == 0x03 && vl__cql_value_data(&v)[7] == 0xE8);
    v = vl__cql_boolean(true);
    CHECK(v.len == 1 && vl__cql_value_data(&v)[0] == 1);
    v = vl__cql_boolean(false);
    CHECK(v.len == 1 && vl__cql_value_data(&v)[0] == 0);
    v = vl__cql_text("héllo");
    CHECK(v.len == 6 && memcmp(v.p, "héllo", 6) == 0);
    v = vl__cql_text_n("abc", 2);
    CHECK_EQ(v.len, 2);
    v = vl__cql_blob("", 0);
    CHECK_EQ(v.len, 0);
    CHECK_EQ(vl__cql_null().len, CQL_LEN_NULL);
    CHECK_EQ(vl__cql_unset().len, CQL_LEN_UNSET);
    CHECK_EQ(vl__cql_blob("x", (size_t)INT32_MAX + 1).len, CQL_LEN_TOOBIG);
    /* a built value survives a copy: its bytes live inside it */
    cql_value a = vl__cql_int(99), b = a;
    int32_t x;
    CHECK_EQ(vl__cql_get_int(&b, &x), CQL_OK);
    CHECK_EQ(x, 99);
}

static void test_read(void) {
    const uint8_t eight[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
    cql_value v = {eight, 8, {0}};
    int64_t l;
    int32_t i;
    bool bo;
    cql_slice s;
    CHECK_EQ(vl__cql_get_bigint(&v, &l), CQL_OK);
    CHECK_EQ(l, -2);
    CHECK_EQ(vl__cql_get_timestamp(&v, &l), CQL_OK);
    CHECK_EQ(vl__cql_get_int(&v, &i), CQL_ETYPE);
    CHECK_EQ(vl__cql_get_boolean(&v, &bo), CQL_ETYPE);
    CHECK_EQ(vl__cql_get_blob(&v, &s), CQL_OK);
    CHECK(s.p == eight && s.len == 8);
    v.len = 1;
    CHECK_EQ(vl__cql_get_boolean(&v, &bo), CQL_OK);
    CHECK(bo);
    v.len = 0; /* an empty value: legal for blobs and text, not for numbers */
    CHECK_EQ(vl__cql_get_text(&v, &s), CQL_OK);
    CHECK_EQ(s.len, 0);
    CHECK_EQ(vl__cql_get_int(&v, &i), CQL_ETYPE);
    cql_value n = vl__cql_null(), u = vl__cql_unset();
    CHECK_EQ(vl__cql_get_blob(&n, &s), CQL_ENULL);
    CHECK_EQ(vl__cql_get_int(&n, &i), CQL_ENULL);
    CHECK_EQ(vl__cql_get_bigint(&u, &l), CQL_ENULL);
    CHECK_EQ(vl__cql_get_boolean(&n, &bo), CQL_ENULL);
}

static void expect(int32_t code, const char *name, vl_status st, cql_retry retry) {
    const cql_error_desc *d = vl__cql_error_info(code);
    CHECK(strcmp(d->name, name) == 0);
    CHECK_ST(d->status, st);
    CHECK_EQ(d->retry, retry);
}

static void test_error_table(void) {
    expect(0x0000, "Server_error", VL_EUPSTREAM, CQL_RETRY_NEVER);
    expect(0x000A, "Protocol_error", VL_EUPSTREAM, CQL_RETRY_NEVER);
    expect(0x0100, "Bad_credentials", VL_EAUTH, CQL_RETRY_NEVER);
    expect(0x1000, "Unavailable", VL_EUNAVAILABLE, CQL_RETRY_IF_IDEMPOTENT);
    expect(0x1001, "Overloaded", VL_EOVERLOADED, CQL_RETRY_IF_IDEMPOTENT);
    expect(0x1002, "Is_bootstrapping", VL_EUNAVAILABLE, CQL_RETRY_IF_IDEMPOTENT);
    expect(0x1003, "Truncate_error", VL_EUPSTREAM, CQL_RETRY_NEVER);
    expect(0x1100, "Write_timeout", VL_ETIMEOUT, CQL_RETRY_IF_IDEMPOTENT);
    expect(0x1200, "Read_timeout", VL_ETIMEOUT, CQL_RETRY_IF_IDEMPOTENT);
    expect(0x1300, "Read_failure", VL_EUPSTREAM, CQL_RETRY_NEVER);
    expect(0x1400, "Function_failure", VL_EQUERY, CQL_RETRY_NEVER);
    expect(0x1500, "Write_failure", VL_EUPSTREAM, CQL_RETRY_NEVER);
    expect(0x1600, "CDC_write_failure", VL_ENOSPACE, CQL_RETRY_IF_IDEMPOTENT);
    expect(0x1700, "CAS_write_unknown", VL_EUPSTREAM, CQL_RETRY_NEVER);
    expect(0x2000, "Syntax_error", VL_EQUERY, CQL_RETRY_NEVER);
    expect(0x2100, "Unauthorized", VL_EAUTH, CQL_RETRY_NEVER);
    expect(0x2200, "Invalid", VL_EQUERY, CQL_RETRY_NEVER);
    expect(0x2300, "Config_error", VL_ESCHEMA, CQL_RETRY_NEVER);
    expect(0x2400, "Already_exists", VL_ESCHEMA, CQL_RETRY_NEVER);
    expect(0x2500, "Unprepared", VL_EUPSTREAM, CQL_RETRY_REPREPARE);
    expect(0x7777, "Unknown", VL_EUPSTREAM, CQL_RETRY_NEVER);
    expect(-1, "Unknown", VL_EUPSTREAM, CQL_RETRY_NEVER);
    /* what is retryable here is retryable to the rest of vellir too */
    for (int32_t c = 0; c < 0x3000; c++) {
        const cql_error_desc *d = vl__cql_error_info(c);
        if (d->retry == CQL_RETRY_IF_IDEMPOTENT) CHECK(vl_status_retryable(d->status));
        if (d->retry == CQL_RETRY_NEVER && d->code >= 0) CHECK(!vl_status_retryable(d->status));
    }
}

int main(void) {
    RUN(test_build);
    RUN(test_read);
    RUN(test_error_table);
    return 0;
}
