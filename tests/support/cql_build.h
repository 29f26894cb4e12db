/*
 * cql_build.h -- hand-built CQL response frames for the tests and the fuzz
 * corpus. Written from the v4/v5 spec text, independently of src/cql's own
 * writer, so that a decoder is never checked against its twin.
 *
 * Owns: bb (a fixed-size byte builder) and the sample responses.
 * Threads: test code; single-threaded.
 */
#ifndef VELLIR_TEST_CQL_BUILD_H
#define VELLIR_TEST_CQL_BUILD_H

#include <stdint.h>
#include <string.h>

#include "check.h"

typedef struct bb {
    uint8_t d[4096];
    size_t n;
} bb;

static inline void bb_raw(bb *b, const void *p, size_t n) {
    CHECK(b->n + n <= sizeof b->d);
    if (n) memcpy(b->d + b->n, p, n);
    b->n += n;
}
static inline void bb_u8(bb *b, unsigned v) {
    uint8_t x = (uint8_t)v;
    bb_raw(b, &x, 1);
}
static inline void bb_u16(bb *b, unsigned v) {
    bb_u8(b, v >> 8);
    bb_u8(b, v);
}
static inline void bb_i32(bb *b, int32_t v) {
    uint32_t u = (uint32_t)v;
    bb_u16(b, u >> 16);
    bb_u16(b, u & 0xffff);
}
static inline void bb_i64(bb *b, int64_t v) {
    bb_i32(b, (int32_t)((uint64_t)v >> 32));
    bb_i32(b, (int32_t)(uint32_t)v);
}
/* [string] */
static inline void bb_str(bb *b, const char *s) {
    bb_u16(b, (unsigned)strlen(s));
    bb_raw(b, s, strlen(s));
}
/* [bytes] of n bytes, or null with n < 0 */
static inline void bb_bytes(bb *b, const void *p, int32_t n) {
    bb_i32(b, n);
    if (n > 0) bb_raw(b, p, (size_t)n);
}
static inline void bb_sbytes(bb *b, const void *p, unsigned n) {
    bb_u16(b, n);
    bb_raw(b, p, n);
}

/* A response frame: header (version | 0x80) + body. */
static inline void bb_frame(bb *f, unsigned version, unsigned flags, int16_t stream,
                            unsigned opcode, const bb *body) {
    f->n = 0;
    bb_u8(f, 0x80 | version);
    bb_u8(f, flags);
    bb_u16(f, (uint16_t)stream);
    bb_u8(f, opcode);
    bb_i32(f, (int32_t)body->n);
    bb_raw(f, body->d, body->n);
}

static const uint8_t bb_id16[16] = {0x9a, 0x1f, 0x00, 0x42, 1, 2, 3, 4,
                                    5, 6, 7, 8, 9, 10, 11, 0xff};

/* ---- sample bodies ----------------------------------------------------- */

static inline void s_ready(bb *b) { (void)b; }
static inline void s_authenticate(bb *b) {
    bb_str(b, "org.apache.cassandra.auth.PasswordAuthenticator");
}
static inline void s_auth_challenge(bb *b) { bb_bytes(b, "abc", 3); }
static inline void s_auth_success(bb *b) { bb_bytes(b, NULL, -1); }
static inline void s_supported(bb *b) {
    bb_u16(b, 3);
    bb_str(b, "CQL_VERSION"); bb_u16(b, 1); bb_str(b, "3.4.7");
    bb_str(b, "COMPRESSION"); bb_u16(b, 2); bb_str(b, "snappy"); bb_str(b, "lz4");
    bb_str(b, "PROTOCOL_VERSIONS"); bb_u16(b, 3);
    bb_str(b, "3/v3"); bb_str(b, "4/v4"); bb_str(b, "5/v5");
}
static inline void s_err_syntax(bb *b) {
    bb_i32(b, 0x2000); bb_str(b, "line 1:0 no viable alternative at input 'SELEC'");
}
static inline void s_err_unavailable(bb *b) {
    bb_i32(b, 0x1000); bb_str(b, "Cannot achieve consistency level QUORUM");
    bb_u16(b, 0x0004); bb_i32(b, 3); bb_i32(b, 1);
}
static inline void s_err_write_timeout(bb *b) {
    bb_i32(b, 0x1100); bb_str(b, "Operation timed out");
    bb_u16(b, 0x0001); bb_i32(b, 0); bb_i32(b, 1); bb_str(b, "SIMPLE");
}
static inline void s_err_read_timeout(bb *b) {
    bb_i32(b, 0x1200); bb_str(b, "Operation timed out");
    bb_u16(b, 0x000A); bb_i32(b, 0); bb_i32(b, 1); bb_u8(b, 0);
}
static inline void s_err_read_failure(bb *b) {
    bb_i32(b, 0x1300); bb_str(b, "Operation failed");
    bb_u16(b, 0x0006); bb_i32(b, 1); bb_i32(b, 2); bb_i32(b, 1); bb_u8(b, 1);
}
static inline void s_err_write_failure(bb *b) {
    bb_i32(b, 0x1500); bb_str(b, "Operation failed");
    bb_u16(b, 0x0004); bb_i32(b, 1); bb_i32(b, 2); bb_i32(b, 1); bb_str(b, "BATCH");
}
static inline void s_err_unprepared(bb *b) {
    bb_i32(b, 0x2500); bb_str(b, "Prepared query with ID 9a1f... not found");
    bb_sbytes(b, bb_id16, 16);
}
static inline void s_err_already_exists(bb *b) {
    bb_i32(b, 0x2400); bb_str(b, "Table vellir_test.kv already exists");
    bb_str(b, "vellir_test"); bb_str(b, "kv");
}
static inline void s_err_function_failure(bb *b) {
    bb_i32(b, 0x1400); bb_str(b, "execution of 'ks.f' failed");
    bb_str(b, "ks"); bb_str(b, "f"); bb_u16(b, 2); bb_str(b, "int"); bb_str(b, "text");
}
static inline void s_err_overloaded(bb *b) {
    bb_i32(b, 0x1001); bb_str(b, "Server is in overloaded state");
}
static inline void s_void(bb *b) { bb_i32(b, 1); }
/* SELECT key, value FROM vellir_test.kv: global spec, two blob columns,
 * two rows, the second value null. */
static inline void s_rows(bb *b) {
    bb_i32(b, 2);
    bb_i32(b, 0x0001); bb_i32(b, 2);
    bb_str(b, "vellir_test"); bb_str(b, "kv");
    bb_str(b, "key"); bb_u16(b, 0x0003);
    bb_str(b, "value"); bb_u16(b, 0x0003);
    bb_i32(b, 2);
    bb_bytes(b, "k1", 2); bb_bytes(b, "\x01\x02\x03", 3);
    bb_bytes(b, "k2", 2); bb_bytes(b, NULL, -1);
}
/* A page of a paged query without metadata (skip_metadata was asked). */
static inline void s_rows_paged(bb *b) {
    bb_i32(b, 2);
    bb_i32(b, 0x0002 | 0x0004); bb_i32(b, 1);
    bb_bytes(b, "\x00\x08paging!!", 10);
    bb_i32(b, 1);
    bb_bytes(b, "\x00\x00\x00\x2a", 4);
}
/* Per-column table specs and nested types, no rows. */
static inline void s_rows_types(bb *b) {
    bb_i32(b, 2);
    bb_i32(b, 0); bb_i32(b, 6);
    /* m map<text, int> */
    bb_str(b, "ks"); bb_str(b, "t"); bb_str(b, "m");
    bb_u16(b, 0x21); bb_u16(b, 0x0D); bb_u16(b, 0x09);
    /* l list<frozen<tuple<int, text>>> */
    bb_str(b, "ks"); bb_str(b, "t"); bb_str(b, "l");
    bb_u16(b, 0x20); bb_u16(b, 0x31); bb_u16(b, 2); bb_u16(b, 0x09); bb_u16(b, 0x0D);
    /* u frozen<ks.addr> {street text, zip int, tags set<text>} */
    bb_str(b, "ks"); bb_str(b, "t"); bb_str(b, "u");
    bb_u16(b, 0x30); bb_str(b, "ks"); bb_str(b, "addr"); bb_u16(b, 3);
    bb_str(b, "street"); bb_u16(b, 0x0D);
    bb_str(b, "zip"); bb_u16(b, 0x09);
    bb_str(b, "tags"); bb_u16(b, 0x22); bb_u16(b, 0x0D);
    /* c custom */
    bb_str(b, "ks"); bb_str(b, "t"); bb_str(b, "c");
    bb_u16(b, 0x00); bb_str(b, "org.apache.cassandra.db.marshal.DynamicCompositeType");
    /* s set<uuid> */
    bb_str(b, "ks"); bb_str(b, "t"); bb_str(b, "s");
    bb_u16(b, 0x22); bb_u16(b, 0x0C);
    /* d duration */
    bb_str(b, "ks"); bb_str(b, "t"); bb_str(b, "d");
    bb_u16(b, 0x15);
    bb_i32(b, 0);
}
static inline void s_set_keyspace(bb *b) { bb_i32(b, 3); bb_str(b, "vellir_test"); }
/* PREPARE INSERT INTO vellir_test.kv (key, value) VALUES (?, ?) */
static inline void s_prepared_insert(bb *b) {
    bb_i32(b, 4);
    bb_sbytes(b, bb_id16, 16);
    bb_i32(b, 0x0001); bb_i32(b, 2); bb_i32(b, 1); bb_u16(b, 0);
    bb_str(b, "vellir_test"); bb_str(b, "kv");
    bb_str(b, "key"); bb_u16(b, 0x0003);
    bb_str(b, "value"); bb_u16(b, 0x0003);
    bb_i32(b, 0x0004); bb_i32(b, 0);
}
/* PREPARE SELECT value FROM vellir_test.kv WHERE key = ? */
static inline void s_prepared_select(bb *b) {
    bb_i32(b, 4);
    bb_sbytes(b, bb_id16, 16);
    bb_i32(b, 0x0001); bb_i32(b, 1); bb_i32(b, 1); bb_u16(b, 0);
    bb_str(b, "vellir_test"); bb_str(b, "kv");
    bb_str(b, "key"); bb_u16(b, 0x0003);
    bb_i32(b, 0x0001); bb_i32(b, 1);
    bb_str(b, "vellir_test"); bb_str(b, "kv");
    bb_str(b, "value"); bb_u16(b, 0x0003);
}
static inline void s_schema_table(bb *b) {
    bb_i32(b, 5); bb_str(b, "CREATED"); bb_str(b, "TABLE");
    bb_str(b, "vellir_test"); bb_str(b, "kv");
}
static inline void s_schema_function(bb *b) {
    bb_i32(b, 5); bb_str(b, "DROPPED"); bb_str(b, "FUNCTION");
    bb_str(b, "ks"); bb_str(b, "f"); bb_u16(b, 1); bb_str(b, "int");
}
static inline void s_event_status(bb *b) {
    bb_str(b, "STATUS_CHANGE"); bb_str(b, "UP");
    bb_u8(b, 4); bb_raw(b, "\x7f\x00\x00\x01", 4); bb_i32(b, 9042);
}
static inline void s_event_topology(bb *b) {
    bb_str(b, "TOPOLOGY_CHANGE"); bb_str(b, "NEW_NODE");
    bb_u8(b, 16); bb_raw(b, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
    bb_i32(b, 9142);
}
static inline void s_event_schema(bb *b) {
    bb_str(b, "SCHEMA_CHANGE"); bb_str(b, "UPDATED"); bb_str(b, "KEYSPACE"); bb_str(b, "ks");
}
/* Tracing id, warnings and custom payload ahead of a Void result. */
static inline void s_prefixed_void(bb *b) {
    bb_raw(b, bb_id16, 16);
    bb_u16(b, 1); bb_str(b, "Batch for [vellir_test.kv] is of size 6.1KiB");
    bb_u16(b, 1); bb_str(b, "k"); bb_bytes(b, "v", 1);
    bb_i32(b, 1);
}
/* v5: Prepared with a result-metadata id. */
static inline void s_v5_prepared(bb *b) {
    bb_i32(b, 4);
    bb_sbytes(b, bb_id16, 16);
    bb_sbytes(b, "\xaa\xbb", 2);
    bb_i32(b, 0x0001); bb_i32(b, 1); bb_i32(b, 1); bb_u16(b, 0);
    bb_str(b, "ks"); bb_str(b, "t"); bb_str(b, "k"); bb_u16(b, 0x0003);
    bb_i32(b, 0x0004); bb_i32(b, 0);
}
/* v5: Rows whose metadata changed (new id), one text column, one row. */
static inline void s_v5_rows_changed(bb *b) {
    bb_i32(b, 2);
    bb_i32(b, 0x0001 | 0x0008); bb_i32(b, 1);
    bb_sbytes(b, "\x01\x02\x03", 3);
    bb_str(b, "ks"); bb_str(b, "t"); bb_str(b, "v"); bb_u16(b, 0x000D);
    bb_i32(b, 1); bb_bytes(b, "hi", 2);
}
/* v5: Read_failure with a reason map. */
static inline void s_v5_read_failure(bb *b) {
    bb_i32(b, 0x1300); bb_str(b, "Operation failed");
    bb_u16(b, 0x0004); bb_i32(b, 1); bb_i32(b, 2);
    bb_i32(b, 1); bb_u8(b, 4); bb_raw(b, "\x0a\x00\x00\x02", 4); bb_u16(b, 0x0001);
    bb_u8(b, 0);
}

/* ---- system tables, as a cluster client reads them (src/cql/topo.h) ---- */

static inline void bb_uuid(bb *b, unsigned seed) {
    bb_i32(b, 16);
    for (unsigned i = 0; i < 16; i++) bb_u8(b, seed * 16 + i);
}
static inline void bb_set_text(bb *b, const char *const *items, int n) {
    size_t len = 4;
    for (int i = 0; i < n; i++) len += 4 + strlen(items[i]);
    bb_i32(b, (int32_t)len);
    bb_i32(b, n);
    for (int i = 0; i < n; i++) bb_bytes(b, items[i], (int32_t)strlen(items[i]));
}
static inline void bb_int_cell(bb *b, int32_t v) { bb_i32(b, 4); bb_i32(b, v); }
static inline void bb_text_cell(bb *b, const char *s) { bb_bytes(b, s, (int32_t)strlen(s)); }
static inline void bb_col(bb *b, const char *name, unsigned type) { bb_str(b, name); bb_u16(b, type); }
static inline void bb_col_set_text(bb *b, const char *name) {
    bb_str(b, name); bb_u16(b, 0x22); bb_u16(b, 0x0D);
}
/* SELECT * FROM system.local (Cassandra 5.0's columns, a few left out). */
static inline void s_rows_local(bb *b) {
    static const char *const tokens[] = {"-3472162816488927308", "42"};
    bb_i32(b, 2);
    bb_i32(b, 0x0001); bb_i32(b, 11); bb_str(b, "system"); bb_str(b, "local");
    bb_col(b, "key", 0x0D); bb_col(b, "broadcast_address", 0x10); bb_col(b, "data_center", 0x0D);
    bb_col(b, "host_id", 0x0C); bb_col(b, "partitioner", 0x0D); bb_col(b, "rack", 0x0D);
    bb_col(b, "release_version", 0x0D); bb_col(b, "rpc_address", 0x10);
    bb_col(b, "rpc_port", 0x09); bb_col(b, "schema_version", 0x0C); bb_col_set_text(b, "tokens");
    bb_i32(b, 1);
    bb_text_cell(b, "local"); bb_bytes(b, "\x7f\x00\x00\x01", 4); bb_text_cell(b, "dc1");
    bb_uuid(b, 1); bb_text_cell(b, "org.apache.cassandra.dht.Murmur3Partitioner");
    bb_text_cell(b, "rack1"); bb_text_cell(b, "5.0.9"); bb_bytes(b, "\x7f\x00\x00\x01", 4);
    bb_int_cell(b, 9142); bb_uuid(b, 7); bb_set_text(b, tokens, 2);
}
/* SELECT * FROM system.peers_v2: a peer, and one still joining (no native
 * address, no tokens). */
static inline void s_rows_peers_v2(bb *b) {
    static const char *const tokens[] = {"9223372036854775807", "-9223372036854775808", "0"};
    bb_i32(b, 2);
    bb_i32(b, 0x0001); bb_i32(b, 9); bb_str(b, "system"); bb_str(b, "peers_v2");
    bb_col(b, "peer", 0x10); bb_col(b, "peer_port", 0x09); bb_col(b, "data_center", 0x0D);
    bb_col(b, "host_id", 0x0C); bb_col(b, "native_address", 0x10); bb_col(b, "native_port", 0x09);
    bb_col(b, "rack", 0x0D); bb_col(b, "schema_version", 0x0C); bb_col_set_text(b, "tokens");
    bb_i32(b, 2);
    bb_bytes(b, "\x7f\x00\x00\x02", 4); bb_int_cell(b, 7010); bb_text_cell(b, "dc1");
    bb_uuid(b, 2); bb_bytes(b, "\x7f\x00\x00\x02", 4); bb_int_cell(b, 9142);
    bb_text_cell(b, "rack1"); bb_uuid(b, 7); bb_set_text(b, tokens, 3);
    bb_bytes(b, "\x7f\x00\x00\x03", 4); bb_int_cell(b, 7010); bb_text_cell(b, "dc2");
    bb_uuid(b, 3); bb_bytes(b, NULL, -1); bb_bytes(b, NULL, -1);
    bb_text_cell(b, "rack2"); bb_bytes(b, NULL, -1); bb_bytes(b, NULL, -1);
}
/* SELECT * FROM system.peers (older servers): rpc_address 0.0.0.0 means
 * "the peer address"; an IPv6 peer. */
static inline void s_rows_peers(bb *b) {
    static const char *const tokens[] = {"100"};
    bb_i32(b, 2);
    bb_i32(b, 0); bb_i32(b, 5);
    bb_str(b, "system"); bb_str(b, "peers"); bb_col(b, "peer", 0x10);
    bb_str(b, "system"); bb_str(b, "peers"); bb_col(b, "data_center", 0x01);
    bb_str(b, "system"); bb_str(b, "peers"); bb_col(b, "rack", 0x0D);
    bb_str(b, "system"); bb_str(b, "peers"); bb_col(b, "rpc_address", 0x10);
    bb_str(b, "system"); bb_str(b, "peers"); bb_col_set_text(b, "tokens");
    bb_i32(b, 2);
    bb_bytes(b, "\x0a\x00\x00\x02", 4); bb_text_cell(b, "east"); bb_text_cell(b, "r1");
    bb_bytes(b, "\x00\x00\x00\x00", 4); bb_set_text(b, tokens, 1);
    bb_bytes(b, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
    bb_text_cell(b, "east"); bb_text_cell(b, "r2");
    bb_bytes(b, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02", 16);
    bb_set_text(b, tokens, 0);
}
/* SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ? */
static inline void s_rows_replication(bb *b) {
    static const char *const kv[] = {"class", "org.apache.cassandra.locator.NetworkTopologyStrategy",
                                     "dc1", "3", "dc2", "2/1"};
    bb_i32(b, 2);
    bb_i32(b, 0x0001); bb_i32(b, 1); bb_str(b, "system_schema"); bb_str(b, "keyspaces");
    bb_str(b, "replication"); bb_u16(b, 0x21); bb_u16(b, 0x0D); bb_u16(b, 0x0D);
    bb_i32(b, 1);
    size_t len = 4;
    for (int i = 0; i < 6; i++) len += 4 + strlen(kv[i]);
    bb_i32(b, (int32_t)len);
    bb_i32(b, 3);
    for (int i = 0; i < 6; i++) bb_text_cell(b, kv[i]);
}

typedef struct cql_sample {
    const char *name;
    unsigned version, flags;
    int16_t stream;
    unsigned opcode;
    void (*body)(bb *b);
} cql_sample;

#define CQL_SAMPLE_COUNT 35

static inline const cql_sample *cql_samples(void) {
    static const cql_sample s[CQL_SAMPLE_COUNT] = {
        {"ready", 4, 0, 1, 0x02, s_ready},
        {"authenticate", 4, 0, 1, 0x03, s_authenticate},
        {"auth_challenge", 4, 0, 2, 0x0E, s_auth_challenge},
        {"auth_success", 4, 0, 2, 0x10, s_auth_success},
        {"supported", 4, 0, 0, 0x06, s_supported},
        {"err_syntax", 4, 0, 3, 0x00, s_err_syntax},
        {"err_unavailable", 4, 0, 3, 0x00, s_err_unavailable},
        {"err_write_timeout", 4, 0, 3, 0x00, s_err_write_timeout},
        {"err_read_timeout", 4, 0, 3, 0x00, s_err_read_timeout},
        {"err_read_failure", 4, 0, 3, 0x00, s_err_read_failure},
        {"err_write_failure", 4, 0, 3, 0x00, s_err_write_failure},
        {"err_unprepared", 4, 0, 3, 0x00, s_err_unprepared},
        {"err_already_exists", 4, 0, 3, 0x00, s_err_already_exists},
        {"err_function_failure", 4, 0, 3, 0x00, s_err_function_failure},
        {"err_overloaded", 4, 0, 3, 0x00, s_err_overloaded},
        {"void", 4, 0, 4, 0x08, s_void},
        {"rows", 4, 0, 5, 0x08, s_rows},
        {"rows_paged", 4, 0, 5, 0x08, s_rows_paged},
        {"rows_types", 4, 0, 5, 0x08, s_rows_types},
        {"set_keyspace", 4, 0, 6, 0x08, s_set_keyspace},
        {"prepared_insert", 4, 0, 7, 0x08, s_prepared_insert},
        {"prepared_select", 4, 0, 7, 0x08, s_prepared_select},
        {"schema_table", 4, 0, 8, 0x08, s_schema_table},
        {"schema_function", 4, 0, 8, 0x08, s_schema_function},
        {"event_status", 4, 0, -1, 0x0C, s_event_status},
        {"event_topology", 4, 0, -1, 0x0C, s_event_topology},
        {"event_schema", 4, 0, -1, 0x0C, s_event_schema},
        {"prefixed_void", 4, 0x02 | 0x04 | 0x08, 9, 0x08, s_prefixed_void},
        {"v5_prepared", 5, 0, 7, 0x08, s_v5_prepared},
        {"v5_rows_changed", 5, 0, 5, 0x08, s_v5_rows_changed},
        {"v5_read_failure", 5, 0, 3, 0x00, s_v5_read_failure},
        {"rows_local", 4, 0, 10, 0x08, s_rows_local},
        {"rows_peers_v2", 4, 0, 11, 0x08, s_rows_peers_v2},
        {"rows_peers", 4, 0, 12, 0x08, s_rows_peers},
        {"rows_replication", 4, 0, 13, 0x08, s_rows_replication},
    };
    return s;
}

/* The whole frame of sample i. */
static inline void cql_sample_frame(const cql_sample *s, bb *frame) {
    bb body = {{0}, 0};
    s->body(&body);
    bb_frame(frame, s->version, s->flags, s->stream, s->opcode, &body);
}

#endif /* VELLIR_TEST_CQL_BUILD_H */
