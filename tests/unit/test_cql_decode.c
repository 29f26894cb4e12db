/*
 * test_cql_decode.c -- every response kind, hand-built from the spec
 * (tests/support/cql_build.h), decoded field by field.
 *
 * Owns: its tests. Threads: single-threaded.
 *
 * With VELLIR_CQL_CORPUS_OUT=DIR it also writes each sample frame to DIR
 * (how tests/fuzz/corpus/cql/ was seeded).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cql/proto.h"
#include "../support/cql_build.h"

static bool eq(cql_slice s, const char *want) { return vl__cql_slice_eq(s, want); }

static const cql_sample *sample(const char *name) {
    for (int i = 0; i < CQL_SAMPLE_COUNT; i++)
        if (strcmp(cql_samples()[i].name, name) == 0) return &cql_samples()[i];
    CHECK(!"no such sample");
    return NULL;
}

/* Builds sample `name`, extracts its frame and decodes it into *r. */
static void decode(const char *name, bb *frame, cql_response *r) {
    cql_conf c;
    CHECK_OK(vl__cql_conf_init(&c, CQL_V4));
    c.version = 0; /* samples include v5 bodies */
    const cql_sample *s = sample(name);
    cql_sample_frame(s, frame);
    cql_frame f;
    size_t used = 0;
    CHECK_EQ(vl__cql_frame_extract(&c, frame->d, frame->n, &f, &used), CQL_OK);
    CHECK_EQ(used, frame->n);
    CHECK_EQ(f.stream, s->stream);
    CHECK_EQ(f.version, s->version);
    CHECK_EQ(vl__cql_decode_response(&f, r), CQL_OK);
    CHECK_EQ(r->opcode, s->opcode);
}

static void test_ready_auth(void) {
    bb f;
    cql_response r;
    decode("ready", &f, &r);
    CHECK_EQ(r.body.len, 0);
    decode("authenticate", &f, &r);
    CHECK(eq(r.authenticator, "org.apache.cassandra.auth.PasswordAuthenticator"));
    decode("auth_challenge", &f, &r);
    CHECK_EQ(r.token.len, 3);
    CHECK(memcmp(r.token.p, "abc", 3) == 0);
    decode("auth_success", &f, &r);
    CHECK(vl__cql_value_is_null(&r.token));
}

static void test_supported(void) {
    bb f;
    cql_response r;
    decode("supported", &f, &r);
    CHECK_EQ(r.supported.left, 3);
    CHECK(vl__cql_multimap_has(r.supported, "PROTOCOL_VERSIONS", "4/v4"));
    CHECK(vl__cql_multimap_has(r.supported, "COMPRESSION", "lz4"));
    CHECK(!vl__cql_multimap_has(r.supported, "COMPRESSION", "zstd"));
    CHECK(!vl__cql_multimap_has(r.supported, "NOPE", "4/v4"));
    cql_iter it = r.supported, vals;
    cql_slice k, v;
    CHECK(vl__cql_multimap_next(&it, &k, &vals));
    CHECK(eq(k, "CQL_VERSION"));
    CHECK(vl__cql_string_next(&vals, &v) && eq(v, "3.4.7"));
    CHECK(!vl__cql_string_next(&vals, &v));
    CHECK(vl__cql_multimap_next(&it, &k, &vals) && eq(k, "COMPRESSION"));
    CHECK(vl__cql_multimap_next(&it, &k, &vals) && eq(k, "PROTOCOL_VERSIONS"));
    CHECK_EQ(vals.left, 3);
    CHECK(!vl__cql_multimap_next(&it, &k, &vals));
}

static void test_errors(void) {
    bb f;
    cql_response r;
    decode("err_syntax", &f, &r);
    CHECK_EQ(r.error.code, CQL_ERR_SYNTAX);
    CHECK(eq(r.error.message, "line 1:0 no viable alternative at input 'SELEC'"));
    decode("err_unavailable", &f, &r);
    CHECK_EQ(r.error.code, CQL_ERR_UNAVAILABLE);
    CHECK_EQ(r.error.consistency, CQL_QUORUM);
    CHECK_EQ(r.error.required, 3);
    CHECK_EQ(r.error.alive, 1);
    decode("err_write_timeout", &f, &r);
    CHECK_EQ(r.error.consistency, CQL_ONE);
    CHECK_EQ(r.error.received, 0);
    CHECK_EQ(r.error.blockfor, 1);
    CHECK(eq(r.error.write_type, "SIMPLE"));
    decode("err_read_timeout", &f, &r);
    CHECK_EQ(r.error.consistency, CQL_LOCAL_ONE);
    CHECK_EQ(r.error.blockfor, 1);
    CHECK_EQ(r.error.data_present, 0);
    decode("err_read_failure", &f, &r);
    CHECK_EQ(r.error.consistency, CQL_LOCAL_QUORUM);
    CHECK_EQ(r.error.received, 1);
    CHECK_EQ(r.error.blockfor, 2);
    CHECK_EQ(r.error.numfailures, 1);
    CHECK_EQ(r.error.data_present, 1);
    decode("err_write_failure", &f, &r);
    CHECK_EQ(r.error.numfailures, 1);
    CHECK(eq(r.error.write_type, "BATCH"));
    decode("err_overloaded", &f, &r);
    CHECK_EQ(r.error.code, CQL_ERR_OVERLOADED);
}

static void test_errors_with_names(void) {
    bb f;
    cql_response r;
    decode("err_unprepared", &f, &r);
    CHECK_EQ(r.error.code, CQL_ERR_UNPREPARED);
    CHECK_EQ(r.error.unprepared_id.len, 16);
    CHECK(memcmp(r.error.unprepared_id.p, bb_id16, 16) == 0);
    decode("err_already_exists", &f, &r);
    CHECK(eq(r.error.keyspace, "vellir_test"));
    CHECK(eq(r.error.table, "kv"));
    decode("err_function_failure", &f, &r);
    CHECK(eq(r.error.keyspace, "ks"));
    CHECK(eq(r.error.function, "f"));
    cql_slice s;
    CHECK(vl__cql_string_next(&r.error.arg_types, &s) && eq(s, "int"));
    CHECK(vl__cql_string_next(&r.error.arg_types, &s) && eq(s, "text"));
    CHECK(!vl__cql_string_next(&r.error.arg_types, &s));
}

static void test_rows(void) {
    bb f;
    cql_response r;
    decode("rows", &f, &r);
    CHECK_EQ(r.result.kind, CQL_RESULT_ROWS);
    const cql_rows *rows = &r.result.rows;
    CHECK_EQ(rows->meta.columns, 2);
    CHECK_EQ(rows->count, 2);
    CHECK(eq(rows->meta.keyspace, "vellir_test"));
    CHECK(vl__cql_value_is_null(&rows->meta.paging_state));
    cql_iter specs = rows->meta.specs;
    cql_colspec cs;
    CHECK(vl__cql_colspec_next(&rows->meta, &specs, &cs));
    CHECK(eq(cs.name, "key") && eq(cs.table, "kv") && cs.type.id == CQL_T_BLOB);
    CHECK(vl__cql_colspec_next(&rows->meta, &specs, &cs));
    CHECK(eq(cs.name, "value") && eq(cs.keyspace, "vellir_test"));
    CHECK(!vl__cql_colspec_next(&rows->meta, &specs, &cs));

    cql_iter it = rows->cells, row;
    cql_value v;
    cql_slice s;
    CHECK(vl__cql_row_next(&it, &row));
    CHECK(vl__cql_cell_next(&row, &v) && vl__cql_get_blob(&v, &s) == CQL_OK && eq(s, "k1"));
    /* zero-copy: the cell points into the frame */
    CHECK(v.p > f.d && v.p < f.d + f.n);
    CHECK(vl__cql_cell_next(&row, &v) && v.len == 3 && memcmp(v.p, "\x01\x02\x03", 3) == 0);
    CHECK(!vl__cql_cell_next(&row, &v));
    CHECK(vl__cql_row_next(&it, &row));
    CHECK(vl__cql_cell_next(&row, &v) && eq(vl__cql_slice_of(v.p, (size_t)v.len), "k2"));
    CHECK(vl__cql_cell_next(&row, &v) && vl__cql_value_is_null(&v));
    CHECK_EQ(vl__cql_get_blob(&v, &s), CQL_ENULL);
    CHECK(!vl__cql_row_next(&it, &row));
}

static void test_rows_paged(void) {
    bb f;
    cql_response r;
    decode("rows_paged", &f, &r);
    const cql_rows *rows = &r.result.rows;
    CHECK(rows->meta.flags & CQL_META_HAS_MORE_PAGES);
    CHECK(rows->meta.flags & CQL_META_NO_METADATA);
    CHECK_EQ(rows->meta.paging_state.len, 10);
    CHECK(memcmp(rows->meta.paging_state.p, "\x00\x08paging!!", 10) == 0);
    CHECK_EQ(rows->meta.specs.left, 0);
    cql_iter cells = rows->cells;
    cql_value v;
    int32_t x = 0;
    CHECK(vl__cql_cell_next(&cells, &v));
    CHECK_EQ(vl__cql_get_int(&v, &x), CQL_OK);
    CHECK_EQ(x, 42);
    CHECK(!vl__cql_cell_next(&cells, &v));
}

static void check_udt(const cql_type *t) {
    cql_slice ks, name, field;
    vl__cql_type_udt_name(t, &ks, &name);
    CHECK(eq(ks, "ks") && eq(name, "addr"));
    cql_iter it;
    CHECK_EQ(vl__cql_type_children(t, &it), 3);
    cql_type c;
    CHECK(vl__cql_type_next(&it, &c, &field) && eq(field, "street") && c.id == CQL_T_VARCHAR);
    CHECK(vl__cql_type_next(&it, &c, &field) && eq(field, "zip") && c.id == CQL_T_INT);
    CHECK(vl__cql_type_next(&it, &c, &field) && eq(field, "tags") && c.id == CQL_T_SET);
    cql_iter sub;
    cql_type e;
    CHECK_EQ(vl__cql_type_children(&c, &sub), 1);
    CHECK(vl__cql_type_next(&sub, &e, NULL) && e.id == CQL_T_VARCHAR);
    CHECK(!vl__cql_type_next(&it, &c, &field));
}

static void check_list_of_tuple(const cql_type *t) {
    cql_iter it, tup;
    cql_type c, e;
    CHECK_EQ(vl__cql_type_children(t, &it), 1);
    CHECK(vl__cql_type_next(&it, &c, NULL) && c.id == CQL_T_TUPLE);
    CHECK_EQ(vl__cql_type_children(&c, &tup), 2);
    CHECK(vl__cql_type_next(&tup, &e, NULL) && e.id == CQL_T_INT);
    CHECK(vl__cql_type_next(&tup, &e, NULL) && e.id == CQL_T_VARCHAR);
    CHECK(!vl__cql_type_next(&tup, &e, NULL));
}

static void test_rows_types(void) {
    bb f;
    cql_response r;
    decode("rows_types", &f, &r);
    const cql_meta *m = &r.result.rows.meta;
    CHECK_EQ(m->columns, 6);
    CHECK_EQ(r.result.rows.count, 0);
    cql_iter specs = m->specs, it;
    cql_colspec cs;
    cql_type k, v;
    CHECK(vl__cql_colspec_next(m, &specs, &cs) && eq(cs.name, "m") && cs.type.id == CQL_T_MAP);
    CHECK(eq(cs.keyspace, "ks") && eq(cs.table, "t"));
    CHECK_EQ(vl__cql_type_children(&cs.type, &it), 2);
    CHECK(vl__cql_type_next(&it, &k, NULL) && k.id == CQL_T_VARCHAR);
    CHECK(vl__cql_type_next(&it, &v, NULL) && v.id == CQL_T_INT);
    CHECK(vl__cql_colspec_next(m, &specs, &cs) && cs.type.id == CQL_T_LIST);
    check_list_of_tuple(&cs.type);
    CHECK(vl__cql_colspec_next(m, &specs, &cs) && cs.type.id == CQL_T_UDT);
    check_udt(&cs.type);
    CHECK(vl__cql_colspec_next(m, &specs, &cs) && cs.type.id == CQL_T_CUSTOM);
    CHECK(eq(vl__cql_type_custom_class(&cs.type),
             "org.apache.cassandra.db.marshal.DynamicCompositeType"));
    CHECK_EQ(vl__cql_type_children(&cs.type, &it), 0);
    CHECK(vl__cql_colspec_next(m, &specs, &cs) && cs.type.id == CQL_T_SET && eq(cs.name, "s"));
    CHECK(vl__cql_colspec_next(m, &specs, &cs) && cs.type.id == CQL_T_DURATION);
    CHECK(!vl__cql_colspec_next(m, &specs, &cs));
}

static void test_prepared(void) {
    bb f;
    cql_response r;
    decode("prepared_insert", &f, &r);
    const cql_prepared *p = &r.result.prepared;
    CHECK_EQ(p->id.len, 16);
    CHECK(memcmp(p->id.p, bb_id16, 16) == 0);
    CHECK_EQ(p->result_metadata_id.len, 0);
    CHECK_EQ(p->bind.columns, 2);
    CHECK_EQ(p->bind.pk_count, 1);
    CHECK_EQ(vl__cql_meta_pk_index(&p->bind, 0), 0);
    CHECK_EQ(vl__cql_meta_pk_index(&p->bind, 1), UINT16_MAX);
    CHECK(eq(p->bind.table, "kv"));
    CHECK(p->result.flags & CQL_META_NO_METADATA);
    CHECK_EQ(p->result.columns, 0);

    decode("prepared_select", &f, &r);
    p = &r.result.prepared;
    CHECK_EQ(p->bind.columns, 1);
    CHECK_EQ(p->result.columns, 1);
    cql_iter specs = p->result.specs;
    cql_colspec cs;
    CHECK(vl__cql_colspec_next(&p->result, &specs, &cs) && eq(cs.name, "value"));
}

static void test_other_results(void) {
    bb f;
    cql_response r;
    decode("void", &f, &r);
    CHECK_EQ(r.result.kind, CQL_RESULT_VOID);
    decode("set_keyspace", &f, &r);
    CHECK(eq(r.result.keyspace, "vellir_test"));
    decode("schema_table", &f, &r);
    CHECK(eq(r.result.schema.change, "CREATED") && eq(r.result.schema.target, "TABLE"));
    CHECK(eq(r.result.schema.keyspace, "vellir_test") && eq(r.result.schema.name, "kv"));
    decode("schema_function", &f, &r);
    CHECK(eq(r.result.schema.name, "f"));
    CHECK_EQ(r.result.schema.arg_types.left, 1);
}

static void test_events(void) {
    bb f;
    cql_response r;
    decode("event_status", &f, &r);
    CHECK(eq(r.event.type, "STATUS_CHANGE") && eq(r.event.change, "UP"));
    CHECK_EQ(r.event.addr.len, 4);
    CHECK_EQ(r.event.port, 9042);
    decode("event_topology", &f, &r);
    CHECK(eq(r.event.change, "NEW_NODE"));
    CHECK_EQ(r.event.addr.len, 16);
    decode("event_schema", &f, &r);
    CHECK(eq(r.event.schema.target, "KEYSPACE") && eq(r.event.schema.keyspace, "ks"));
    CHECK_EQ(r.event.schema.name.len, 0);
}

static void test_prefix(void) {
    bb f;
    cql_response r;
    decode("prefixed_void", &f, &r);
    CHECK_EQ(r.tracing_id.len, 16);
    cql_slice s, k;
    CHECK(vl__cql_string_next(&r.warnings, &s));
    CHECK(eq(s, "Batch for [vellir_test.kv] is of size 6.1KiB"));
    cql_value v;
    CHECK(vl__cql_bytesmap_next(&r.payload, &k, &v) && eq(k, "k") && v.len == 1);
    CHECK_EQ(r.result.kind, CQL_RESULT_VOID);
}

static void test_v5_bodies(void) {
    bb f;
    cql_response r;
    decode("v5_prepared", &f, &r);
    CHECK_EQ(r.result.prepared.result_metadata_id.len, 2);
    CHECK_EQ(r.result.prepared.bind.columns, 1);
    decode("v5_rows_changed", &f, &r);
    CHECK_EQ(r.result.rows.meta.new_metadata_id.len, 3);
    cql_iter cells = r.result.rows.cells;
    cql_value v;
    cql_slice s;
    CHECK(vl__cql_cell_next(&cells, &v) && vl__cql_get_text(&v, &s) == CQL_OK && eq(s, "hi"));
    decode("v5_read_failure", &f, &r);
    CHECK_EQ(r.error.numfailures, 1);
    CHECK_EQ(r.error.data_present, 0);
    cql_slice addr;
    uint16_t code;
    CHECK(vl__cql_reason_next(&r.error.reasons, &addr, &code));
    CHECK(addr.len == 4 && addr.p[0] == 10 && code == 1);
    CHECK(!vl__cql_reason_next(&r.error.reasons, &addr, &code));
}

/* v5 adds <contentions> to a Write_timeout of type CAS, and only there. */
static void test_v5_cas_timeout(void) {
    bb b = {{0}, 0};
    bb_i32(&b, 0x1100); bb_str(&b, "CAS timeout");
    bb_u16(&b, 0x0008); bb_i32(&b, 0); bb_i32(&b, 1); bb_str(&b, "CAS"); bb_u16(&b, 3);
    cql_error e;
    CHECK_EQ(vl__cql_decode_error(5, vl__cql_slice_of(b.d, b.n), &e), CQL_OK);
    CHECK_EQ(e.contentions, 3);
    CHECK(eq(e.write_type, "CAS"));
    CHECK_EQ(vl__cql_decode_error(4, vl__cql_slice_of(b.d, b.n), &e), CQL_OK);
    CHECK_EQ(e.contentions, 0);
    CHECK_EQ(vl__cql_decode_error(5, vl__cql_slice_of(b.d, b.n - 1), &e), CQL_ETRUNC);
}

/* Trailing bytes after a message are ignored (spec section 1). */
static void test_trailing_bytes(void) {
    bb body = {{0}, 0}, frame;
    s_set_keyspace(&body);
    bb_raw(&body, "future", 6);
    bb_frame(&frame, 4, 0, 1, 0x08, &body);
    cql_conf c;
    CHECK_OK(vl__cql_conf_init(&c, CQL_V4));
    cql_frame f;
    size_t used;
    cql_response r;
    CHECK_EQ(vl__cql_frame_extract(&c, frame.d, frame.n, &f, &used), CQL_OK);
    CHECK_EQ(vl__cql_decode_response(&f, &r), CQL_OK);
    CHECK(eq(r.result.keyspace, "vellir_test"));
}

static void dump_corpus(const char *dir) {
    for (int i = 0; i < CQL_SAMPLE_COUNT; i++) {
        bb frame;
        cql_sample_frame(&cql_samples()[i], &frame);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, cql_samples()[i].name);
        FILE *fp = fopen(path, "wb");
        CHECK(fp != NULL);
        CHECK_EQ(fwrite(frame.d, 1, frame.n, fp), frame.n);
        fclose(fp);
    }
}

int main(void) {
    RUN(test_ready_auth);
    RUN(test_supported);
    RUN(test_errors);
    RUN(test_errors_with_names);
    RUN(test_rows);
    RUN(test_rows_paged);
    RUN(test_rows_types);
    RUN(test_prepared);
    RUN(test_other_results);
    RUN(test_events);
    RUN(test_prefix);
    RUN(test_v5_bodies);
    RUN(test_v5_cas_timeout);
    RUN(test_trailing_bytes);
    const char *dir = getenv("VELLIR_CQL_CORPUS_OUT");
    if (dir) dump_corpus(dir);
    return 0;
}
