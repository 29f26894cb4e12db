/*
 * test_cql_frame.c -- frame headers and frame extraction from a byte
 * stream: partial input, several frames in one read, the size limit, the
 * version and direction checks, the body prefix flags.
 *
 * Owns: its tests. Threads: single-threaded.
 */
#include "cql/proto.h"
#include "../support/cql_build.h"

static cql_conf conf4(void) {
    cql_conf c;
    CHECK_OK(vl__cql_conf_init(&c, CQL_V4));
    return c;
}

static void test_header_parse(void) {
    const uint8_t h[9] = {0x84, 0x0A, 0xFF, 0xFF, 0x0C, 0x00, 0x00, 0x01, 0x00};
    cql_frame f;
    CHECK_EQ(vl__cql_header_parse(h, 9, &f), CQL_OK);
    CHECK_EQ(f.version, 4);
    CHECK(f.response);
    CHECK_EQ(f.flags, 0x0A);
    CHECK_EQ(f.stream, -1);
    CHECK_EQ(f.opcode, CQL_OP_EVENT);
    CHECK_EQ(f.length, 256);
    for (size_t n = 0; n < 9; n++) CHECK_EQ(vl__cql_header_parse(h, n, &f), CQL_ETRUNC);
    const uint8_t req[9] = {0x04, 0, 0x7F, 0xFF, 0x07, 0, 0, 0, 0};
    CHECK_EQ(vl__cql_header_parse(req, 9, &f), CQL_OK);
    CHECK(!f.response);
    CHECK_EQ(f.stream, 32767);
    const uint8_t v2[9] = {0x82, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(vl__cql_header_parse(v2, 9, &f), CQL_EVERSION);
    const uint8_t neg[9] = {0x84, 0, 0, 0, 0, 0x80, 0, 0, 0};
    CHECK_EQ(vl__cql_header_parse(neg, 9, &f), CQL_EBADLEN);
}

/* Two frames back to back, then half of a third, fed one byte at a time. */
static void test_extract_stream(void) {
    cql_conf c = conf4();
    bb a, b, stream = {{0}, 0};
    cql_sample_frame(&cql_samples()[0], &a);  /* ready */
    cql_sample_frame(&cql_samples()[16], &b); /* rows */
    bb_raw(&stream, a.d, a.n);
    bb_raw(&stream, b.d, b.n);
    bb_raw(&stream, b.d, b.n / 2);
    size_t off = 0, frames = 0;
    for (size_t have = 0; have <= stream.n; have++) {
        cql_frame f;
        size_t used;
        CHECK_EQ(vl__cql_frame_extract(&c, stream.d + off, have - off, &f, &used), CQL_OK);
        if (used == 0) continue;
        CHECK_EQ(used, frames == 0 ? a.n : b.n);
        CHECK_EQ(f.body.p, stream.d + off + 9);
        off += used;
        frames++;
    }
    CHECK_EQ(frames, 2);
    CHECK_EQ(off, a.n + b.n);
}

static void test_extract_incomplete_reports_length(void) {
    cql_conf c = conf4();
    bb fr;
    cql_sample_frame(&cql_samples()[16], &fr);
    cql_frame f;
    size_t used;
    CHECK_EQ(vl__cql_frame_extract(&c, fr.d, 12, &f, &used), CQL_OK);
    CHECK_EQ(used, 0);
    CHECK_EQ(f.length, fr.n - 9);
    CHECK_EQ(vl__cql_frame_extract(&c, fr.d, 0, &f, &used), CQL_OK);
    CHECK_EQ(used, 0);
}

static void set_len(uint8_t *h, uint32_t body) {
    h[5] = (uint8_t)(body >> 24);
    h[6] = (uint8_t)(body >> 16);
    h[7] = (uint8_t)(body >> 8);
    h[8] = (uint8_t)body;
}

static void test_extract_limits(void) {
    cql_conf c = conf4();
    uint8_t h[9] = {0x84, 0, 0, 1, 0x08, 0, 0, 0, 0};
    cql_frame f;
    size_t used;
    /* exactly at the limit is fine (the body is not there yet) */
    set_len(h, c.max_recv - 9);
    CHECK_EQ(vl__cql_frame_extract(&c, h, 9, &f, &used), CQL_OK);
    CHECK_EQ(used, 0);
    set_len(h, c.max_recv - 8);
    CHECK_EQ(vl__cql_frame_extract(&c, h, 9, &f, &used), CQL_EFRAMESIZE);
    CHECK_ST(vl__cql_err_status(CQL_EFRAMESIZE), VL_ETOOBIG);
    /* 2 GiB - 1 declared: refused from the header alone, whatever max_recv */
    set_len(h, INT32_MAX);
    c.max_recv = UINT32_MAX;
    CHECK_EQ(vl__cql_frame_extract(&c, h, 9, &f, &used), CQL_EFRAMESIZE);
    /* a small limit */
    c.max_recv = 64;
    set_len(h, 55);
    CHECK_EQ(vl__cql_frame_extract(&c, h, 9, &f, &used), CQL_OK);
    set_len(h, 56);
    CHECK_EQ(vl__cql_frame_extract(&c, h, 9, &f, &used), CQL_EFRAMESIZE);
}

static void test_extract_version_direction(void) {
    cql_conf c = conf4();
    cql_frame f;
    size_t used;
    const uint8_t req[9] = {0x04, 0, 0, 1, 0x02, 0, 0, 0, 0};
    CHECK_EQ(vl__cql_frame_extract(&c, req, 9, &f, &used), CQL_EVERSION);
    const uint8_t v3[9] = {0x83, 0, 0, 1, 0x00, 0, 0, 0, 0};
    CHECK_EQ(vl__cql_frame_extract(&c, v3, 9, &f, &used), CQL_EVERSION);
    const uint8_t v9[9] = {0x89, 0, 0, 1, 0x00, 0, 0, 0, 0};
    CHECK_EQ(vl__cql_frame_extract(&c, v9, 9, &f, &used), CQL_EVERSION);
    /* version 0: the handshake accepts a server answering in its own version */
    c.version = 0;
    CHECK_EQ(vl__cql_frame_extract(&c, v3, 9, &f, &used), CQL_OK);
    CHECK_EQ(used, 9);
    CHECK_EQ(f.version, 3);
}

static void test_body_flags(void) {
    cql_frame f;
    cql_response r;
    memset(&f, 0, sizeof f);
    f.version = 4;
    f.response = true;
    f.opcode = CQL_OP_RESULT;
    f.flags = CQL_FLAG_COMPRESSION;
    f.body = vl__cql_slice_of("\0\0\0\1", 4);
    CHECK_EQ(vl__cql_decode_response(&f, &r), CQL_ECOMPRESSED);
    f.flags = CQL_FLAG_TRACING; /* 4 bytes cannot hold a 16-byte tracing id */
    CHECK_EQ(vl__cql_decode_response(&f, &r), CQL_ETRUNC);
    f.flags = 0;
    CHECK_EQ(vl__cql_decode_response(&f, &r), CQL_OK);
    CHECK_EQ(r.result.kind, CQL_RESULT_VOID);
    f.opcode = CQL_OP_QUERY; /* a request opcode in a response */
    CHECK_EQ(vl__cql_decode_response(&f, &r), CQL_EOPCODE);
    f.opcode = 0x04;
    CHECK_EQ(vl__cql_decode_response(&f, &r), CQL_EOPCODE);
    f.opcode = 0x42;
    CHECK_EQ(vl__cql_decode_response(&f, &r), CQL_EOPCODE);
}

static void test_err_strings(void) {
    for (int e = 0; e < CQL_ERR_COUNT; e++) {
        CHECK(vl__cql_err_str((cql_err)e) != NULL);
        CHECK(strlen(vl__cql_err_str((cql_err)e)) > 0);
    }
    CHECK(vl__cql_err_str(CQL_ERR_COUNT) != NULL);
    CHECK_ST(vl__cql_err_status(CQL_OK), VL_OK);
    CHECK_ST(vl__cql_err_status(CQL_ETRUNC), VL_EUPSTREAM);
    CHECK_ST(vl__cql_err_status(CQL_EBADCOUNT), VL_EUPSTREAM);
    CHECK_ST(vl__cql_err_status(CQL_ETYPE), VL_ECORRUPT);
}

int main(void) {
    RUN(test_header_parse);
    RUN(test_extract_stream);
    RUN(test_extract_incomplete_reports_length);
    RUN(test_extract_limits);
    RUN(test_extract_version_direction);
    RUN(test_body_flags);
    RUN(test_err_strings);
    return 0;
}
