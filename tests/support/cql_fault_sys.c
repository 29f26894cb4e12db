/*
 * cql_fault_sys.c -- the system tables of the fault injector (cql_fault.h):
 * system.local, system.peers_v2, system.peers and system_schema.keyspaces,
 * as the cluster client reads them, for the cluster a test describes with
 * a cf_topology (by default: one node, itself, owning token 0).
 *
 * Owns: cf_sys_query. Threads: the injector's thread (under its lock).
 *
 * Every answer has all of the table's columns that the client looks at,
 * whatever the query selected; a real node answers exactly what was asked,
 * which the client's decoder handles too (it finds columns by name).
 */
#include <stdio.h>

#include "cql_fault_wire.h"

static void col(vl_buf *b, const char *name, uint32_t type) {
    w_str(b, name);
    w_u16(b, type);
}

static void col_set_text(vl_buf *b, const char *name) {
    w_str(b, name);
    w_u16(b, 0x22);
    w_u16(b, 0x0D);
}

static void cell_text(vl_buf *b, const char *s) { w_bytes(b, s, (int32_t)strlen(s)); }

static void cell_int(vl_buf *b, int32_t v) {
    w_i32(b, 4);
    w_i32(b, v);
}

static void cell_uuid(vl_buf *b, uint8_t fill, uint16_t port) {
    uint8_t u[16];
    memset(u, fill, sizeof u);
    u[14] = (uint8_t)(port >> 8);
    u[15] = (uint8_t)port;
    w_bytes(b, u, 16);
}

static void cell_localhost(vl_buf *b) { w_bytes(b, "\x7f\x00\x00\x01", 4); }

/* set<text> from "a,b,c" */
static void cell_tokens(vl_buf *b, const char *list) {
    vl_buf inner = {0};
    int32_t n = 0;
    w_i32(&inner, 0);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        w_bytes(&inner, p, (int32_t)len);
        n++;
        p = end ? end + 1 : p + len;
    }
    inner.data[0] = (uint8_t)(n >> 24);
    inner.data[1] = (uint8_t)(n >> 16);
    inner.data[2] = (uint8_t)(n >> 8);
    inner.data[3] = (uint8_t)n;
    w_bytes(b, inner.data, (int32_t)inner.len);
    vl_buf_free(&inner);
}

static size_t rows_begin(vl_buf *b, int16_t stream, const char *table, int32_t columns) {
    size_t s = begin_frame(b, stream, 0x08);
    w_i32(b, 2);
    w_i32(b, 0x0001);
    w_i32(b, columns);
    w_str(b, "system");
    w_str(b, table);
    return s;
}

static void r_local(const cf_topology *t, uint16_t own_port, vl_buf *b, int16_t stream) {
    size_t s = rows_begin(b, stream, "local", 9);
    col(b, "data_center", 0x0D);
    col(b, "rack", 0x0D);
    col_set_text(b, "tokens");
    col(b, "host_id", 0x0C);
    col(b, "schema_version", 0x0C);
    col(b, "rpc_address", 0x10);
    col(b, "rpc_port", 0x09);
    col(b, "partitioner", 0x0D);
    col(b, "release_version", 0x0D);
    w_i32(b, 1);
    cell_text(b, t->self.dc);
    cell_text(b, t->self.rack);
    cell_tokens(b, t->self.tokens);
    cell_uuid(b, 0xAA, own_port);
    cell_uuid(b, t->self.schema, 0);
    cell_localhost(b);
    cell_int(b, own_port);
    cell_text(b, "org.apache.cassandra.dht.Murmur3Partitioner");
    cell_text(b, "5.0-fault");
    end_frame(b, s);
}

static void r_peers(const cf_topology *t, vl_buf *b, int16_t stream, bool v2) {
    size_t s = rows_begin(b, stream, v2 ? "peers_v2" : "peers", v2 ? 8 : 7);
    col(b, "peer", 0x10);
    col(b, "data_center", 0x0D);
    col(b, "rack", 0x0D);
    col_set_text(b, "tokens");
    col(b, "host_id", 0x0C);
    col(b, "schema_version", 0x0C);
    col(b, v2 ? "native_address" : "rpc_address", 0x10);
    if (v2) col(b, "native_port", 0x09);
    w_i32(b, (int32_t)t->n_peers);
    for (uint32_t i = 0; i < t->n_peers; i++) {
        const cf_node *p = &t->peers[i];
        cell_localhost(b);
        cell_text(b, p->dc);
        cell_text(b, p->rack);
        cell_tokens(b, p->tokens);
        cell_uuid(b, 0xAA, p->port);
        cell_uuid(b, p->schema, 0);
        cell_localhost(b);
        if (v2) cell_int(b, p->port);
    }
    end_frame(b, s);
}

static void r_replication(const cf_topology *t, vl_buf *b, int16_t stream) {
    size_t s = begin_frame(b, stream, 0x08);
    w_i32(b, 2);
    w_i32(b, 0x0001);
    w_i32(b, 1);
    w_str(b, "system_schema");
    w_str(b, "keyspaces");
    w_str(b, "replication");
    w_u16(b, 0x21);
    w_u16(b, 0x0D);
    w_u16(b, 0x0D);
    w_i32(b, 1);
    char rf[16];
    snprintf(rf, sizeof rf, "%u", t->rf);
    bool nts = strcmp(t->repl_class, "NetworkTopologyStrategy") == 0;
    const char *kv[4] = {"class", t->repl_class, nts ? t->repl_dc : "replication_factor", rf};
    vl_buf map = {0};
    w_i32(&map, 2);
    for (int i = 0; i < 4; i++) cell_text(&map, kv[i]);
    w_bytes(b, map.data, (int32_t)map.len);
    vl_buf_free(&map);
    end_frame(b, s);
}

bool cf_sys_query(const cf_topology *t, uint16_t own_port, vl_buf *b, int16_t stream,
                  const char *query) {
    if (strstr(query, "system.local")) r_local(t, own_port, b, stream);
    else if (strstr(query, "system.peers_v2") && t->no_peers_v2)
        r_error(b, stream, 0x2200, "unconfigured table peers_v2 (injected)", NULL);
    else if (strstr(query, "system.peers_v2")) r_peers(t, b, stream, true);
    else if (strstr(query, "system.peers")) r_peers(t, b, stream, false);
    else if (strstr(query, "system_schema.keyspaces")) r_replication(t, b, stream);
    else return false;
    return true;
}
