/*
 * test_cql_truncate.c -- hostile and truncated input: every prefix of every
 * sample frame, every decoder forced onto every prefix of every body (each
 * copied to an exact-size allocation, so ASan sees any overread), and
 * bodies whose counts lie about their size.
 *
 * Owns: its tests. Threads: single-threaded.
 */
#include <stdlib.h>

#include "cql/proto.h"
#include "../support/cql_build.h"

static cql_conf conf_any(void) {
    cql_conf c;
    CHECK_OK(vl__cql_conf_init(&c, CQL_V4));
    c.version = 0;
    return c;
}

/* Every prefix of a whole frame is "need more bytes", never a frame. */
static void test_frame_prefixes(void) {
    cql_conf c = conf_any();
    for (int i = 0; i < CQL_SAMPLE_COUNT; i++) {
        bb fr;
        cql_sample_frame(&cql_samples()[i], &fr);
        for (size_t n = 0; n < fr.n; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, fr.d, n);
            cql_frame f;
            size_t used = 1;
            CHECK_EQ(vl__cql_frame_extract(&c, copy, n, &f, &used), CQL_OK);
            CHECK_EQ(used, 0);
            free(copy);
        }
    }
}

/* A frame whose body is cut short (its header saying so) fails to decode:
 * every sample needs every one of its bytes. */
static void test_body_prefixes(void) {
    for (int i = 0; i < CQL_SAMPLE_COUNT; i++) {
        const cql_sample *s = &cql_samples()[i];
        bb body = {{0}, 0};
        s->body(&body);
        for (size_t n = 0; n <= body.n; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, body.d, n);
            cql_frame f = {.version = (uint8_t)s->version, .response = true,
                           .flags = (uint8_t)s->flags, .stream = s->stream,
                           .opcode = (uint8_t)s->opcode, .length = (uint32_t)n,
                           .body = vl__cql_slice_of(copy, n)};
            cql_response r;
            cql_err e = vl__cql_decode_response(&f, &r);
            if (n == body.n) {
                CHECK_EQ(e, CQL_OK);
            } else if (e == CQL_OK) {
                fprintf(stderr, "sample %s decoded at %zu of %zu bytes\n", s->name, n, body.n);
                CHECK(e != CQL_OK);
            }
            free(copy);
        }
    }
}

/* Walks everything a decoded result offers, as a caller would. */
static void walk_result(const cql_result *res) {
    if (res->kind != CQL_RESULT_ROWS) return;
    cql_iter specs = res->rows.meta.specs, rows = res->rows.cells, row, kids;
    cql_colspec cs;
    cql_type t;
    cql_value v;
    while (vl__cql_colspec_next(&res->rows.meta, &specs, &cs)) {
        vl__cql_type_children(&cs.type, &kids);
        while (vl__cql_type_next(&kids, &t, NULL)) {}
    }
    while (vl__cql_row_next(&rows, &row))
        while (vl__cql_cell_next(&row, &v)) {}
}

/* Any decoder on any prefix of any body, both versions: no crash, no
 * overread, and the iterators stay within what was validated. */
static void test_forced_decoders(void) {
    for (int i = 0; i < CQL_SAMPLE_COUNT; i++) {
        bb body = {{0}, 0};
        cql_samples()[i].body(&body);
        for (size_t n = 0; n <= body.n; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, body.d, n);
            cql_slice s = vl__cql_slice_of(copy, n);
            for (uint8_t v = 4; v <= 5; v++) {
                cql_error er;
                cql_result res;
                cql_event ev;
                cql_slice a;
                cql_value tok;
                cql_iter sup;
                (void)vl__cql_decode_error(v, s, &er);
                if (vl__cql_decode_result(v, s, &res) == CQL_OK) walk_result(&res);
                (void)vl__cql_decode_event(s, &ev);
                (void)vl__cql_decode_authenticate(s, &a);
                (void)vl__cql_decode_auth_token(s, &tok);
                (void)vl__cql_decode_supported(s, &sup);
            }
            free(copy);
        }
    }
}

static cql_err decode_result_bb(const bb *b, cql_result *res) {
    return vl__cql_decode_result(4, vl__cql_slice_of(b->d, b->n), res);
}

static void test_lying_counts(void) {
    cql_result res;
    bb b = {{0}, 0};
    /* 2^31-1 columns declared in a 20-byte body */
    bb_i32(&b, 2); bb_i32(&b, 0); bb_i32(&b, INT32_MAX); bb_i32(&b, 0); bb_i32(&b, 0);
    CHECK_EQ(b.n, 20);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADCOUNT);
    /* within VL_CQL_COLUMNS_MAX, but not within the bytes */
    b.n = 0;
    bb_i32(&b, 2); bb_i32(&b, 0); bb_i32(&b, 60000); bb_i32(&b, 0); bb_i32(&b, 0);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADCOUNT);
    /* 2^31-1 rows of one column, no metadata */
    b.n = 0;
    bb_i32(&b, 2); bb_i32(&b, 0x0004); bb_i32(&b, 1); bb_i32(&b, INT32_MAX);
    bb_bytes(&b, "x", 1);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADCOUNT);
    /* rows without columns */
    b.n = 0;
    bb_i32(&b, 2); bb_i32(&b, 0x0004); bb_i32(&b, 0); bb_i32(&b, 5);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADCOUNT);
    /* negative counts */
    b.n = 0;
    bb_i32(&b, 2); bb_i32(&b, 0x0004); bb_i32(&b, -1); bb_i32(&b, 0);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADCOUNT);
    b.n = 0;
    bb_i32(&b, 2); bb_i32(&b, 0x0004); bb_i32(&b, 1); bb_i32(&b, -7);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADCOUNT);
    /* a string list of 65535 strings in four bytes */
    b.n = 0;
    bb_u16(&b, 1); bb_str(&b, "K"); bb_u16(&b, 65535); bb_i32(&b, 0);
    cql_iter it;
    CHECK_EQ(vl__cql_decode_supported(vl__cql_slice_of(b.d, b.n), &it), CQL_EBADCOUNT);
}

static void test_prepared_lies(void) {
    cql_result res;
    bb b = {{0}, 0};
    /* pk index 2 with only 2 bind markers (0 and 1) */
    bb_i32(&b, 4); bb_sbytes(&b, "id", 2);
    bb_i32(&b, 0x0004); bb_i32(&b, 2); bb_i32(&b, 1); bb_u16(&b, 2);
    bb_i32(&b, 0x0004); bb_i32(&b, 0);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADKIND);
    /* pk_count 2^31-1 */
    b.n = 0;
    bb_i32(&b, 4); bb_sbytes(&b, "id", 2);
    bb_i32(&b, 0x0004); bb_i32(&b, 2); bb_i32(&b, INT32_MAX);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADCOUNT);
    /* v5 failure reason map of 10^9 entries */
    b.n = 0;
    bb_i32(&b, 0x1300); bb_str(&b, "x"); bb_u16(&b, 1); bb_i32(&b, 1); bb_i32(&b, 1);
    bb_i32(&b, 1000000000); bb_u8(&b, 0);
    cql_error er;
    CHECK_EQ(vl__cql_decode_error(5, vl__cql_slice_of(b.d, b.n), &er), CQL_EBADCOUNT);
    /* ... while v4 reads the same field as a plain count */
    CHECK_EQ(vl__cql_decode_error(4, vl__cql_slice_of(b.d, b.n), &er), CQL_OK);
    CHECK_EQ(er.numfailures, 1000000000);
}

/* One column of type list<list<...<int>>> nested `depth` times. */
static cql_err nested(unsigned depth) {
    bb b = {{0}, 0};
    bb_i32(&b, 2); bb_i32(&b, 0x0001); bb_i32(&b, 1);
    bb_str(&b, "ks"); bb_str(&b, "t"); bb_str(&b, "c");
    for (unsigned i = 0; i < depth; i++) bb_u16(&b, 0x20);
    bb_u16(&b, 0x09);
    bb_i32(&b, 0);
    cql_result res;
    return decode_result_bb(&b, &res);
}

static void test_types(void) {
    CHECK_EQ(nested(VL_CQL_TYPE_DEPTH_MAX), CQL_OK);
    CHECK_EQ(nested(VL_CQL_TYPE_DEPTH_MAX + 1), CQL_ETOODEEP);
    CHECK_EQ(nested(1000), CQL_ETOODEEP);
    bb b = {{0}, 0};
    bb_i32(&b, 2); bb_i32(&b, 0x0001); bb_i32(&b, 1);
    bb_str(&b, "ks"); bb_str(&b, "t"); bb_str(&b, "c"); bb_u16(&b, 0x40);
    bb_i32(&b, 0);
    cql_result res;
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADKIND);
    /* a tuple claiming 65535 components */
    b.n = 0;
    bb_i32(&b, 2); bb_i32(&b, 0x0001); bb_i32(&b, 1);
    bb_str(&b, "ks"); bb_str(&b, "t"); bb_str(&b, "c"); bb_u16(&b, 0x31); bb_u16(&b, 65535);
    bb_u16(&b, 9); bb_i32(&b, 0);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_ETRUNC);
}

static void test_bad_values(void) {
    cql_result res;
    bb b = {{0}, 0};
    bb_i32(&b, 9);
    CHECK_EQ(decode_result_bb(&b, &res), CQL_EBADKIND);
    b.n = 0;
    bb_str(&b, "STATUS_CHANGE"); bb_str(&b, "UP"); bb_u8(&b, 5); bb_raw(&b, "12345", 5);
    bb_i32(&b, 1);
    cql_event ev;
    CHECK_EQ(vl__cql_decode_event(vl__cql_slice_of(b.d, b.n), &ev), CQL_EBADLEN);
    /* an unknown event type and an unknown schema target decode to what is known */
    b.n = 0;
    bb_str(&b, "FUTURE_EVENT"); bb_raw(&b, "\xff\xff", 2);
    CHECK_EQ(vl__cql_decode_event(vl__cql_slice_of(b.d, b.n), &ev), CQL_OK);
    CHECK(vl__cql_slice_eq(ev.type, "FUTURE_EVENT"));
    b.n = 0;
    bb_str(&b, "SCHEMA_CHANGE"); bb_str(&b, "CREATED"); bb_str(&b, "VIEWPOINT");
    CHECK_EQ(vl__cql_decode_event(vl__cql_slice_of(b.d, b.n), &ev), CQL_OK);
    CHECK_EQ(ev.schema.keyspace.len, 0);
}

int main(void) {
    RUN(test_frame_prefixes);
    RUN(test_body_prefixes);
    RUN(test_forced_decoders);
    RUN(test_lying_counts);
    RUN(test_prepared_lies);
    RUN(test_types);
    RUN(test_bad_values);
    return 0;
}
