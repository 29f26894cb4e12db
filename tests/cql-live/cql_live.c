/*
 * cql_live.c -- checks the CQL codec against a real Cassandra node over a
 * blocking socket: handshake, queries, paging, prepared statements, a
 * batch, and the errors vellir relies on (syntax, Unprepared).
 *
 * Owns: its own socket and buffers. Threads: single-threaded.
 *
 * Not part of `make test` (it needs a node). Run it by hand:
 *   scripts/cassandra-node.sh start            # CQL on 127.0.0.1:9142
 *   make && cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc \
 *      tests/cql-live/cql_live.c $(make -s print-builddir)/libvellir.a -o build/cql_live
 *   build/cql_live [port] [user] [password]
 * It uses keyspace vellir_test (the node script creates it) and a table
 * vellir_test.cql_live it creates itself. Exit status 0 when every check
 * passed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cql/proto.h"

static int fd = -1;
static cql_conf conf;
static vl_buf in, out;
static int failures;

#define EXPECT(cond)                                                          \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static void die(const char *what) {
    perror(what);
    exit(2);
}

static void send_out(void) {
    size_t off = 0;
    while (off < out.len) {
        ssize_t n = write(fd, out.data + off, out.len - off);
        if (n <= 0) die("write");
        off += (size_t)n;
    }
    out.len = 0;
}

/* Reads until one whole frame is in `in`; drops frames of other streams
 * (events). The frame's bytes stay valid until the next call. */
static cql_frame recv_frame(int16_t stream) {
    static size_t consumed;
    if (consumed) {
        memmove(in.data, in.data + consumed, in.len - consumed);
        in.len -= consumed;
        consumed = 0;
    }
    for (;;) {
        cql_frame f;
        size_t used;
        cql_err e = vl__cql_frame_extract(&conf, in.data, in.len, &f, &used);
        if (e) {
            fprintf(stderr, "frame: %s\n", vl__cql_err_str(e));
            exit(2);
        }
        if (used > 0 && f.stream == stream) {
            consumed = used;
            return f;
        }
        if (used > 0) {
            memmove(in.data, in.data + used, in.len - used);
            in.len -= used;
            continue;
        }
        uint8_t *p = vl_buf_reserve(&in, 65536);
        if (!p) die("reserve");
        ssize_t n = read(fd, p, 65536);
        if (n <= 0) die("read");
        in.len += (size_t)n;
    }
}

static cql_response roundtrip(int16_t stream) {
    send_out();
    cql_frame f = recv_frame(stream);
    cql_response r;
    cql_err e = vl__cql_decode_response(&f, &r);
    if (e) {
        fprintf(stderr, "decode: %s\n", vl__cql_err_str(e));
        exit(2);
    }
    if (r.opcode == CQL_OP_ERROR)
        printf("  <- ERROR 0x%04x %s: %.*s\n", (unsigned)r.error.code,
               vl__cql_error_info(r.error.code)->name, (int)r.error.message.len,
               (const char *)r.error.message.p);
    return r;
}

static void connect_node(int port) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
}

static void handshake(const char *user, const char *pw) {
    vl__cql_encode_options(&conf, 0, &out);
    cql_response r = roundtrip(0);
    EXPECT(r.opcode == CQL_OP_SUPPORTED);
    EXPECT(vl__cql_multimap_has(r.supported, "PROTOCOL_VERSIONS", "4/v4"));
    printf("OPTIONS -> SUPPORTED (%u keys)\n", r.supported.left);
    vl__cql_encode_startup(&conf, 1, &out);
    r = roundtrip(1);
    if (r.opcode == CQL_OP_AUTHENTICATE) {
        printf("STARTUP -> AUTHENTICATE %.*s\n", (int)r.authenticator.len,
               (const char *)r.authenticator.p);
        vl__cql_encode_auth_plain(&conf, 2, vl__cql_str(user), vl__cql_str(pw), &out);
        r = roundtrip(2);
        EXPECT(r.opcode == CQL_OP_AUTH_SUCCESS);
        return;
    }
    EXPECT(r.opcode == CQL_OP_READY);
    printf("STARTUP -> READY\n");
}

static cql_response query(int16_t stream, const char *q, const cql_params *p) {
    cql_params none = {.consistency = CQL_ONE};
    if (vl__cql_encode_query(&conf, stream, vl__cql_str(q), p ? p : &none, &out)) exit(2);
    return roundtrip(stream);
}

static void check_system_local(void) {
    cql_response r = query(3, "SELECT release_version FROM system.local", NULL);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.kind == CQL_RESULT_ROWS);
    cql_iter cells = r.result.rows.cells;
    cql_value v;
    cql_slice s;
    if (vl__cql_cell_next(&cells, &v) && vl__cql_get_text(&v, &s) == CQL_OK)
        printf("QUERY system.local -> Rows: release_version %.*s\n", (int)s.len,
               (const char *)s.p);
    else
        EXPECT(!"no release_version");
}

static void check_paging(void) {
    cql_params p = {.consistency = CQL_ONE, .page_size = 2};
    cql_response r = query(4, "SELECT keyspace_name FROM system_schema.keyspaces", &p);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.kind == CQL_RESULT_ROWS);
    EXPECT(r.result.rows.count == 2);
    EXPECT(r.result.rows.meta.flags & CQL_META_HAS_MORE_PAGES);
    cql_value ps = r.result.rows.meta.paging_state;
    EXPECT(ps.len > 0);
    uint8_t state[256];
    if (ps.len <= 0 || ps.len > (int32_t)sizeof state) return;
    memcpy(state, ps.p, (size_t)ps.len);
    p.paging_state = vl__cql_slice_of(state, (size_t)ps.len);
    r = query(5, "SELECT keyspace_name FROM system_schema.keyspaces", &p);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.rows.count >= 1);
    printf("QUERY paged (2) -> Rows, has_more_pages, next page %u rows\n", r.result.rows.count);
}

static cql_slice prepare(int16_t stream, const char *q, uint8_t *id_store) {
    vl__cql_encode_prepare(&conf, stream, vl__cql_str(q), &out);
    cql_response r = roundtrip(stream);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.kind == CQL_RESULT_PREPARED);
    cql_slice id = r.result.prepared.id;
    EXPECT(id.len > 0 && id.len <= 64);
    printf("PREPARE %s -> id %zu bytes, %u binds, %u pk\n", q, id.len,
           r.result.prepared.bind.columns, r.result.prepared.bind.pk_count);
    memcpy(id_store, id.p, id.len);
    return vl__cql_slice_of(id_store, id.len);
}

static void check_prepared(void) {
    static uint8_t ins_id[64], sel_id[64];
    cql_response r = query(6, "CREATE TABLE IF NOT EXISTS vellir_test.cql_live "
                              "(key blob PRIMARY KEY, value blob, n int)", NULL);
    EXPECT(r.opcode == CQL_OP_RESULT);
    cql_slice ins = prepare(7, "INSERT INTO vellir_test.cql_live (key, value, n) VALUES (?, ?, ?)", ins_id);
    cql_slice sel = prepare(8, "SELECT value, n FROM vellir_test.cql_live WHERE key = ?", sel_id);
    cql_value v[3] = {vl__cql_blob("k1", 2), vl__cql_blob("\x00\x01\x02", 3), vl__cql_int(41)};
    cql_params p = {.consistency = CQL_ONE, .values = v, .n_values = 3,
                    .has_timestamp = true, .timestamp = 1700000000000000};
    vl__cql_encode_execute(&conf, 9, ins, &p, &out);
    r = roundtrip(9);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.kind == CQL_RESULT_VOID);
    /* unset leaves n alone; a later timestamp wins */
    v[1] = vl__cql_blob("new", 3);
    v[2] = vl__cql_unset();
    p.timestamp++;
    vl__cql_encode_execute(&conf, 10, ins, &p, &out);
    r = roundtrip(10);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.kind == CQL_RESULT_VOID);
    cql_params q = {.consistency = CQL_ONE, .values = v, .n_values = 1};
    vl__cql_encode_execute(&conf, 11, sel, &q, &out);
    r = roundtrip(11);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.rows.count == 1);
    cql_iter cells = r.result.rows.cells;
    cql_value c;
    int32_t n = 0;
    EXPECT(vl__cql_cell_next(&cells, &c) && c.len == 3 && memcmp(c.p, "new", 3) == 0);
    EXPECT(vl__cql_cell_next(&cells, &c) && vl__cql_get_int(&c, &n) == CQL_OK && n == 41);
    printf("EXECUTE insert, insert with unset, select -> value 'new', n %d\n", n);
}

static void check_batch_and_errors(void) {
    static uint8_t ins_id[64];
    cql_slice ins = prepare(12, "INSERT INTO vellir_test.cql_live (key, value) VALUES (?, ?)", ins_id);
    cql_value a[2] = {vl__cql_blob("b1", 2), vl__cql_null()};
    cql_value b[1] = {vl__cql_blob("b2", 2)};
    cql_batch_stmt st[2] = {
        {.prepared = true, .id = ins, .values = a, .n_values = 2},
        {.query = vl__cql_str("INSERT INTO vellir_test.cql_live (key, value) VALUES (?, 0xff)"),
         .values = b, .n_values = 1},
    };
    cql_batch bt = {.type = CQL_BATCH_UNLOGGED, .stmts = st, .n_stmts = 2,
                    .consistency = CQL_ONE, .has_timestamp = true, .timestamp = 1700000000000000};
    vl__cql_encode_batch(&conf, 13, &bt, &out);
    cql_response r = roundtrip(13);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.kind == CQL_RESULT_VOID);
    printf("BATCH unlogged (prepared + query) -> Void\n");
    r = query(14, "SELEC nonsense", NULL);
    EXPECT(r.opcode == CQL_OP_ERROR && r.error.code == CQL_ERR_SYNTAX);
    static const uint8_t bogus[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    cql_params p = {.consistency = CQL_ONE};
    vl__cql_encode_execute(&conf, 15, vl__cql_slice_of(bogus, 16), &p, &out);
    r = roundtrip(15);
    EXPECT(r.opcode == CQL_OP_ERROR && r.error.code == CQL_ERR_UNPREPARED);
    EXPECT(r.error.unprepared_id.len == 16 && memcmp(r.error.unprepared_id.p, bogus, 16) == 0);
    EXPECT(vl__cql_error_info(r.error.code)->retry == CQL_RETRY_REPREPARE);
    r = query(16, "SELECT * FROM vellir_test.no_such_table", NULL);
    EXPECT(r.opcode == CQL_OP_ERROR && r.error.code == CQL_ERR_INVALID);
}

/* Counts the nodes of a type tree. */
static unsigned type_nodes(const cql_type *t) {
    cql_iter kids;
    cql_type child;
    unsigned n = 1;
    vl__cql_type_children(t, &kids);
    while (vl__cql_type_next(&kids, &child, NULL)) n += type_nodes(&child);
    return n;
}

static void check_types(void) {
    query(17, "CREATE TYPE IF NOT EXISTS vellir_test.addr (street text, zip int, tags set<text>)", NULL);
    query(18, "CREATE TABLE IF NOT EXISTS vellir_test.cql_types (k int PRIMARY KEY, "
              "m map<text, int>, l list<frozen<tuple<int, text>>>, u frozen<addr>, "
              "s set<uuid>, ts timestamp, b boolean, big bigint)", NULL);
    cql_response r = query(19, "INSERT INTO vellir_test.cql_types (k, m, l, u, s, ts, b, big) VALUES "
                               "(1, {'a': 1}, [(2, 'x')], {street: 'main', zip: 7, tags: {'t'}}, "
                               "{uuid()}, 1700000000000, true, -5)", NULL);
    EXPECT(r.opcode == CQL_OP_RESULT);
    r = query(20, "SELECT k, m, l, u, s, ts, b, big FROM vellir_test.cql_types WHERE k = 1", NULL);
    EXPECT(r.opcode == CQL_OP_RESULT && r.result.rows.count == 1);
    const cql_meta *m = &r.result.rows.meta;
    cql_iter specs = m->specs, cells = r.result.rows.cells;
    cql_colspec cs;
    unsigned nodes[8] = {0}, i = 0;
    while (i < 8 && vl__cql_colspec_next(m, &specs, &cs)) nodes[i++] = type_nodes(&cs.type);
    EXPECT(i == 8);
    /* int 1; map 3; list<tuple<int,text>> 4; udt{text,int,set<text>} 5; set<uuid> 2 */
    EXPECT(nodes[0] == 1 && nodes[1] == 3 && nodes[2] == 4 && nodes[3] == 5 && nodes[4] == 2);
    cql_value v;
    int64_t ts = 0, big = 0;
    bool b = false;
    for (i = 0; i < 5; i++) EXPECT(vl__cql_cell_next(&cells, &v) && v.len > 0);
    EXPECT(vl__cql_cell_next(&cells, &v) && vl__cql_get_timestamp(&v, &ts) == CQL_OK);
    EXPECT(vl__cql_cell_next(&cells, &v) && vl__cql_get_boolean(&v, &b) == CQL_OK);
    EXPECT(vl__cql_cell_next(&cells, &v) && vl__cql_get_bigint(&v, &big) == CQL_OK);
    EXPECT(ts == 1700000000000 && b && big == -5);
    printf("SELECT collections, tuple, UDT, timestamp, boolean, bigint -> types and cells ok\n");
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 9142;
    const char *user = argc > 2 ? argv[2] : "cassandra";
    const char *pw = argc > 3 ? argv[3] : "cassandra";
    if (vl__cql_conf_init(&conf, CQL_V4)) return 2;
    connect_node(port);
    handshake(user, pw);
    check_system_local();
    check_paging();
    check_prepared();
    check_batch_and_errors();
    check_types();
    close(fd);
    vl_buf_free(&in);
    vl_buf_free(&out);
    printf("%s (%d failures)\n", failures ? "FAILED" : "all live checks passed", failures);
    return failures ? 1 : 0;
}
