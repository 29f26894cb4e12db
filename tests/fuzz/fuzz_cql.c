/*
 * fuzz_cql.c -- libFuzzer harness for the CQL codec (src/cql): arbitrary
 * bytes go through frame extraction and every response decoder, and every
 * iterator a successful decode hands out is walked to its end.
 *
 * Owns: LLVMFuzzerTestOneInput. Threads: single-threaded.
 *
 * For each input:
 *   1. as a byte stream: frames are extracted one after another (any
 *      version, a small size limit) and each is decoded by its opcode,
 *      then every body decoder is forced on its body, raw and opened;
 *   2. as one body: every decoder runs on the whole input, for v4 and v5;
 *   3. as a body behind a header whose flags are the first byte;
 *   4. as stream-id operations, checked against the allocator's counters.
 * Every Rows result is also read as system.local, system.peers_v2,
 * system.peers and a keyspace's replication (src/cql/topo.h), and the nodes
 * it yields are built into a token ring (src/cql/ring.h) that the input's
 * own Murmur3 token is looked up in; every event's address is converted.
 * Corpus: tests/fuzz/corpus/cql/ (seeded by test_cql_decode).
 */
#include <stdlib.h>
#include <string.h>

#include "cql/proto.h"
#include "cql/ring.h"
#include "cql/streams.h"
#include "cql/topo.h"
#include "fuzz.h"


static volatile size_t sink; /* keeps the walks from being optimised away */

static void walk_type(const cql_type *t) {
    cql_iter kids;
    cql_type child;
    cql_slice name, ks;
    sink += vl__cql_type_custom_class(t).len;
    vl__cql_type_udt_name(t, &ks, &name);
    vl__cql_type_children(t, &kids);
    while (vl__cql_type_next(&kids, &child, &name)) walk_type(&child);
}

static void walk_cell(const cql_value *v) {
    cql_slice s;
    int32_t i;
    int64_t l;
    bool b;
    if (vl__cql_get_blob(v, &s) == CQL_OK) sink += s.len;
    if (vl__cql_get_int(v, &i) == CQL_OK) sink += (size_t)i;
    if (vl__cql_get_bigint(v, &l) == CQL_OK) sink += (size_t)l;
    if (vl__cql_get_boolean(v, &b) == CQL_OK) sink += b;
}

static void walk_meta(const cql_meta *m) {
    cql_iter specs = m->specs;
    cql_colspec cs;
    for (uint32_t i = 0; i < m->pk_count; i++) sink += vl__cql_meta_pk_index(m, i);
    while (vl__cql_colspec_next(m, &specs, &cs)) walk_type(&cs.type);
}

static void walk_strings(cql_iter it) {
    cql_slice s;
    while (vl__cql_string_next(&it, &s)) sink += s.len;
}

static const uint8_t *fuzz_data; /* the whole input, for its token */
static size_t fuzz_size;

#define FUZZ_NODES 8
#define FUZZ_TOKENS 64

/* The rows as each system table, then as a ring. */
static void walk_topo(const cql_result *r) {
    static int64_t tokens[FUZZ_NODES][FUZZ_TOKENS];
    cql_ring_node nodes[FUZZ_NODES];
    uint32_t n = 0;
    for (int t = CQL_TOPO_LOCAL; t <= CQL_TOPO_PEERS; t++) {
        cql_topo_iter it;
        if (vl__cql_topo_open(r, (cql_topo_table)t, &it) != CQL_OK) continue;
        cql_node_row row;
        bool got;
        while (vl__cql_topo_next(&it, &row, &got) == CQL_OK && got) {
            sink += row.dc.len + row.rack.len + row.release.len + row.partitioner.len;
            if (n == FUZZ_NODES) continue;
            uint32_t k = 0;
            cql_iter ti = row.tokens;
            while (k < FUZZ_TOKENS && vl__cql_token_next(&ti, &tokens[n][k])) k++;
            nodes[n] = (cql_ring_node){n % 2 ? "dc1" : "dc2", n % 3 ? "r1" : "r2", tokens[n], k,
                                       false};
            n++;
        }
    }
    cql_replication repl;
    bool found;
    if (vl__cql_replication_decode(r, &repl, &found) != CQL_OK || !found) {
        repl = (cql_replication){.cls = CQL_REPL_NTS, .n_dcs = 1};
        memcpy(repl.dcs[0].name, "dc1", 4);
        repl.dcs[0].rf = 2;
    }
    cql_ring ring;
    if (vl__cql_ring_build(&ring, nodes, n, &repl, "dc2") != VL_OK) return;
    const uint16_t *reps;
    uint32_t k = vl__cql_ring_replicas(&ring, vl__cql_murmur3_token(fuzz_data, fuzz_size), &reps);
    for (uint32_t i = 0; i < k; i++)
        if (reps[i] >= n) abort();
    vl__cql_ring_free(&ring);
}

static void walk_event(const cql_event *ev) {
    struct sockaddr_storage ss;
    walk_strings(ev->schema.arg_types);
    if (vl__cql_inet_sockaddr(ev->addr, ev->port, &ss) == CQL_OK) sink += ss.ss_family;
}

static void walk_result(const cql_result *r) {
    cql_iter rows, row;
    cql_value v;
    switch (r->kind) {
    case CQL_RESULT_ROWS:
        walk_topo(r);
        walk_meta(&r->rows.meta);
        rows = r->rows.cells;
        while (vl__cql_row_next(&rows, &row))
            while (vl__cql_cell_next(&row, &v)) walk_cell(&v);
        rows = r->rows.cells;
        while (vl__cql_cell_next(&rows, &v)) walk_cell(&v);
        break;
    case CQL_RESULT_PREPARED:
        walk_meta(&r->prepared.bind);
        walk_meta(&r->prepared.result);
        break;
    case CQL_RESULT_SCHEMA_CHANGE: walk_strings(r->schema.arg_types); break;
    default: break;
    }
}

static void walk_error(const cql_error *e) {
    cql_iter reasons = e->reasons;
    cql_slice addr;
    uint16_t code;
    while (vl__cql_reason_next(&reasons, &addr, &code)) sink += code;
    walk_strings(e->arg_types);
    sink += (size_t)vl__cql_error_info(e->code)->status;
}

static void walk_supported(cql_iter it) {
    cql_slice k;
    cql_iter vals;
    while (vl__cql_multimap_next(&it, &k, &vals)) walk_strings(vals);
    sink += vl__cql_multimap_has(it, "PROTOCOL_VERSIONS", "4/v4");
}

static void walk_response(const cql_response *r) {
    cql_iter payload = r->payload;
    cql_slice k;
    cql_value v;
    walk_strings(r->warnings);
    while (vl__cql_bytesmap_next(&payload, &k, &v)) walk_cell(&v);
    switch (r->opcode) {
    case CQL_OP_ERROR: walk_error(&r->error); break;
    case CQL_OP_SUPPORTED: walk_supported(r->supported); break;
    case CQL_OP_RESULT: walk_result(&r->result); break;
    case CQL_OP_EVENT: walk_event(&r->event); break;
    default: break;
    }
}

/* Every body decoder, whatever the opcode says. */
static void force_all(uint8_t version, cql_slice body) {
    cql_error er;
    cql_result res;
    cql_event ev;
    cql_slice auth;
    cql_value tok;
    cql_iter sup;
    if (vl__cql_decode_error(version, body, &er) == CQL_OK) walk_error(&er);
    if (vl__cql_decode_result(version, body, &res) == CQL_OK) walk_result(&res);
    if (vl__cql_decode_event(body, &ev) == CQL_OK) walk_event(&ev);
    if (vl__cql_decode_supported(body, &sup) == CQL_OK) walk_supported(sup);
    (void)vl__cql_decode_authenticate(body, &auth);
    (void)vl__cql_decode_auth_token(body, &tok);
}

static void as_stream(const uint8_t *data, size_t size) {
    cql_conf c;
    vl__cql_conf_init(&c, CQL_V4);
    c.version = 0;           /* any of v3..v5 */
    c.max_recv = 64u << 10;  /* keep the limit within reach of the fuzzer */
    size_t off = 0, used;
    cql_frame f;
    cql_response r;
    while (vl__cql_frame_extract(&c, data + off, size - off, &f, &used) == CQL_OK && used > 0) {
        if (vl__cql_decode_response(&f, &r) == CQL_OK) walk_response(&r);
        force_all(f.version, f.body);
        if (vl__cql_open_body(&f, &r) == CQL_OK) force_all(f.version, r.body);
        off += used;
    }
}

static void as_flagged_body(const uint8_t *data, size_t size) {
    if (size < 2) return;
    cql_frame f;
    memset(&f, 0, sizeof f);
    f.version = CQL_V4;
    f.response = true;
    f.flags = data[0];
    f.opcode = data[1] % 0x12;
    f.body = vl__cql_slice_of(data + 2, size - 2);
    cql_response r;
    if (vl__cql_decode_response(&f, &r) == CQL_OK) walk_response(&r);
}

static void as_stream_ops(const uint8_t *data, size_t size) {
    static cql_streams s;
    vl__cql_streams_init(&s, size ? data[0] * 16u + 1u : 1u);
    for (size_t i = 1; i + 1 < size; i += 2) {
        int16_t id = (int16_t)(((data[i] & 0x3F) << 8 | data[i + 1]) % VL_CQL_STREAMS_MAX);
        switch (data[i] >> 6) {
        case 0: (void)vl__cql_streams_acquire(&s); break;
        case 1: (void)vl__cql_streams_release(&s, id); break;
        case 2: (void)vl__cql_streams_orphan(&s, id); break;
        default: if (data[i + 1] == 0) vl__cql_streams_reset(&s); break;
        }
        if (vl__cql_streams_in_flight(&s) > s.limit || vl__cql_streams_orphans(&s) > s.limit) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_data = data;
    fuzz_size = size;
    sink += (size_t)vl__cql_murmur3_token(data, size);
    as_stream(data, size);
    force_all(CQL_V4, vl__cql_slice_of(data, size));
    force_all(CQL_V5, vl__cql_slice_of(data, size));
    as_flagged_body(data, size);
    as_stream_ops(data, size);
    return 0;
}
