/*
 * test_cql_topo.c -- the system-table decoders (src/cql/topo.c) on
 * hand-built results (tests/support/cql_build.h): system.local,
 * system.peers_v2 (a joining peer without address or tokens), system.peers
 * (a wildcard rpc_address, IPv6), a keyspace's replication; and refusals:
 * a column of the wrong type, a peers table without an address, bad
 * tokens, addresses and uuids of the wrong size, too many tokens, bad
 * replication factors; token strings at and past the ends of int64; event
 * addresses.
 *
 * Owns: its tests. Threads: single-threaded.
 */
#include <arpa/inet.h>

#include "cql/topo.h"
#include "../support/cql_build.h"

static void decode_sample(const char *name, bb *body, cql_result *res) {
    for (int i = 0; i < CQL_SAMPLE_COUNT; i++)
        if (strcmp(cql_samples()[i].name, name) == 0) {
            body->n = 0;
            cql_samples()[i].body(body);
            CHECK_EQ(vl__cql_decode_result(4, vl__cql_slice_of(body->d, body->n), res), CQL_OK);
            return;
        }
    CHECK(!"no such sample");
}

static const char *addr_str(const cql_node_row *r, char *buf, size_t cap) {
    int port;
    char host[INET6_ADDRSTRLEN];
    if (r->addr.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)&r->addr;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
    } else {
        const struct sockaddr_in6 *a = (const void *)&r->addr;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
    }
    snprintf(buf, cap, "%s:%d", host, port);
    return buf;
}

static int64_t tokens_sum(cql_iter it, uint32_t *n) {
    int64_t t, sum = 0;
    *n = 0;
    while (vl__cql_token_next(&it, &t)) {
        sum += t / 4;
        (*n)++;
    }
    return sum;
}

static void test_local(void) {
    bb body;
    cql_result res;
    decode_sample("rows_local", &body, &res);
    cql_topo_iter it;
    CHECK_EQ(vl__cql_topo_open(&res, CQL_TOPO_LOCAL, &it), CQL_OK);
    cql_node_row r;
    bool got;
    char buf[64];
    CHECK_EQ(vl__cql_topo_next(&it, &r, &got), CQL_OK);
    CHECK(got && r.has_addr);
    CHECK(strcmp(addr_str(&r, buf, sizeof buf), "127.0.0.1:9142") == 0);
    CHECK(vl__cql_slice_eq(r.dc, "dc1") && vl__cql_slice_eq(r.rack, "rack1"));
    CHECK(vl__cql_slice_eq(r.release, "5.0.9"));
    CHECK(vl__cql_slice_eq(r.partitioner, "org.apache.cassandra.dht.Murmur3Partitioner"));
    CHECK(r.has_host_id && r.host_id[0] == 16 && r.has_schema && r.schema[15] == 7 * 16 + 15);
    uint32_t n;
    CHECK_EQ(tokens_sum(r.tokens, &n), -3472162816488927308 / 4 + 42 / 4);
    CHECK_EQ(n, 2);
    CHECK_EQ(r.n_tokens, 2);
    CHECK_EQ(vl__cql_topo_next(&it, &r, &got), CQL_OK);
    CHECK(!got);
}

static void test_peers_v2(void) {
    bb body;
    cql_result res;
    decode_sample("rows_peers_v2", &body, &res);
    cql_topo_iter it;
    CHECK_EQ(vl__cql_topo_open(&res, CQL_TOPO_PEERS_V2, &it), CQL_OK);
    cql_node_row r;
    bool got;
    char buf[64];
    uint32_t n;
    CHECK_EQ(vl__cql_topo_next(&it, &r, &got), CQL_OK);
    CHECK(got && strcmp(addr_str(&r, buf, sizeof buf), "127.0.0.2:9142") == 0);
    CHECK_EQ(tokens_sum(r.tokens, &n), INT64_MAX / 4 + INT64_MIN / 4);
    CHECK_EQ(n, 3);
    /* A node still joining: no native address (the peer address, no port),
     * no tokens, no schema. */
    CHECK_EQ(vl__cql_topo_next(&it, &r, &got), CQL_OK);
    CHECK(got && strcmp(addr_str(&r, buf, sizeof buf), "127.0.0.3:0") == 0);
    CHECK(vl__cql_slice_eq(r.dc, "dc2") && r.n_tokens == 0 && !r.has_schema && r.has_host_id);
    CHECK_EQ(vl__cql_topo_next(&it, &r, &got), CQL_OK);
    CHECK(!got);
}

static void test_peers(void) {
    bb body;
    cql_result res;
    decode_sample("rows_peers", &body, &res);
    cql_topo_iter it;
    CHECK_EQ(vl__cql_topo_open(&res, CQL_TOPO_PEERS, &it), CQL_OK);
    cql_node_row r;
    bool got;
    char buf[64];
    CHECK_EQ(vl__cql_topo_next(&it, &r, &got), CQL_OK);
    CHECK(got && strcmp(addr_str(&r, buf, sizeof buf), "10.0.0.2:0") == 0); /* 0.0.0.0: the peer */
    CHECK(vl__cql_slice_eq(r.dc, "east") && r.n_tokens == 1 && !r.has_host_id);
    CHECK_EQ(vl__cql_topo_next(&it, &r, &got), CQL_OK);
    CHECK(got && strcmp(addr_str(&r, buf, sizeof buf), "2001:db8::2:0") == 0);
    CHECK_EQ(r.n_tokens, 0);
    /* system.peers read as peers_v2 has no native_address column: peer */
    CHECK_EQ(vl__cql_topo_open(&res, CQL_TOPO_PEERS_V2, &it), CQL_OK);
    CHECK_EQ(vl__cql_topo_next(&it, &r, &got), CQL_OK);
    CHECK(got && strcmp(addr_str(&r, buf, sizeof buf), "10.0.0.2:0") == 0);
}

static void test_replication(void) {
    bb body;
    cql_result res;
    decode_sample("rows_replication", &body, &res);
    cql_replication rp;
    bool found;
    CHECK_EQ(vl__cql_replication_decode(&res, &rp, &found), CQL_OK);
    CHECK(found && rp.cls == CQL_REPL_NTS && rp.n_dcs == 2);
    CHECK(strcmp(rp.dcs[0].name, "dc1") == 0 && rp.dcs[0].rf == 3);
    CHECK(strcmp(rp.dcs[1].name, "dc2") == 0 && rp.dcs[1].rf == 2);
    /* Rows of another shape are refused; a Rows result of it with no row is
     * "no such keyspace". */
    decode_sample("rows_local", &body, &res);
    CHECK_EQ(vl__cql_replication_decode(&res, &rp, &found), CQL_EBADKIND);
    bb b = {{0}, 0};
    bb_i32(&b, 2);
    bb_i32(&b, 0x0001); bb_i32(&b, 1); bb_str(&b, "s"); bb_str(&b, "k");
    bb_str(&b, "replication"); bb_u16(&b, 0x21); bb_u16(&b, 0x0D); bb_u16(&b, 0x0D);
    bb_i32(&b, 0);
    CHECK_EQ(vl__cql_decode_result(4, vl__cql_slice_of(b.d, b.n), &res), CQL_OK);
    CHECK_EQ(vl__cql_replication_decode(&res, &rp, &found), CQL_OK);
    CHECK(!found && rp.cls == CQL_REPL_OTHER);
}

/* One row of `replication` holding the given map. */
static cql_err repl_of(const char *const *kv, int n, cql_replication *rp) {
    static bb b;
    b.n = 0;
    bb_i32(&b, 2);
    bb_i32(&b, 0x0001); bb_i32(&b, 1); bb_str(&b, "s"); bb_str(&b, "k");
    bb_str(&b, "replication"); bb_u16(&b, 0x21); bb_u16(&b, 0x0D); bb_u16(&b, 0x0D);
    bb_i32(&b, 1);
    size_t len = 4;
    for (int i = 0; i < 2 * n; i++) len += 4 + strlen(kv[i]);
    bb_i32(&b, (int32_t)len);
    bb_i32(&b, n);
    for (int i = 0; i < 2 * n; i++) bb_text_cell(&b, kv[i]);
    cql_result res;
    CHECK_EQ(vl__cql_decode_result(4, vl__cql_slice_of(b.d, b.n), &res), CQL_OK);
    bool found;
    return vl__cql_replication_decode(&res, rp, &found);
}

static void test_replication_variants(void) {
    cql_replication rp;
    const char *simple[] = {"replication_factor", "2", "class", "SimpleStrategy"};
    CHECK_EQ(repl_of(simple, 2, &rp), CQL_OK);
    CHECK(rp.cls == CQL_REPL_SIMPLE && rp.rf == 2);
    const char *local[] = {"class", "org.apache.cassandra.locator.LocalStrategy"};
    CHECK_EQ(repl_of(local, 1, &rp), CQL_OK);
    CHECK(rp.cls == CQL_REPL_OTHER);
    const char *notsimple[] = {"class", "my.NotSimpleStrategy", "replication_factor", "1"};
    CHECK_EQ(repl_of(notsimple, 2, &rp), CQL_OK);
    CHECK(rp.cls == CQL_REPL_OTHER);
    const char *bad[] = {"class", "SimpleStrategy", "replication_factor", "three"};
    CHECK_EQ(repl_of(bad, 2, &rp), CQL_EBADKIND);
    const char *bad2[] = {"class", "NetworkTopologyStrategy", "dc1", "3x"};
    CHECK_EQ(repl_of(bad2, 2, &rp), CQL_EBADKIND);
    const char *empty[] = {"class", "NetworkTopologyStrategy", "dc1", ""};
    CHECK_EQ(repl_of(empty, 2, &rp), CQL_EBADKIND);
    char longdc[VL_CQL_DC_NAME_MAX + 2];
    memset(longdc, 'd', sizeof longdc - 1);
    longdc[sizeof longdc - 1] = 0;
    const char *toolong[] = {"class", "NetworkTopologyStrategy", longdc, "1"};
    CHECK_EQ(repl_of(toolong, 2, &rp), CQL_EBADCOUNT);
    const char *kv[2 * (VL_CQL_REPL_DCS_MAX + 2)];
    char names[VL_CQL_REPL_DCS_MAX + 1][16];
    kv[0] = "class";
    kv[1] = "NetworkTopologyStrategy";
    for (int i = 0; i <= (int)VL_CQL_REPL_DCS_MAX; i++) {
        snprintf(names[i], sizeof names[i], "dc%d", i);
        kv[2 + 2 * i] = names[i];
        kv[3 + 2 * i] = "1";
    }
    CHECK_EQ(repl_of(kv, VL_CQL_REPL_DCS_MAX + 1, &rp), CQL_OK); /* exactly the most */
    CHECK_EQ(rp.n_dcs, VL_CQL_REPL_DCS_MAX);
    CHECK_EQ(repl_of(kv, VL_CQL_REPL_DCS_MAX + 2, &rp), CQL_EBADCOUNT);
}

/* A one-row system.local with the given tokens cell bytes and address. */
static cql_err local_with(const uint8_t *tokens, int32_t tlen, const char *addr, int32_t alen,
                          unsigned addr_type) {
    static bb b;
    b.n = 0;
    bb_i32(&b, 2);
    bb_i32(&b, 0x0001); bb_i32(&b, 2); bb_str(&b, "system"); bb_str(&b, "local");
    bb_col_set_text(&b, "tokens"); bb_col(&b, "rpc_address", addr_type);
    bb_i32(&b, 1);
    bb_bytes(&b, tokens, tlen);
    bb_bytes(&b, addr, alen);
    cql_result res;
    CHECK_EQ(vl__cql_decode_result(4, vl__cql_slice_of(b.d, b.n), &res), CQL_OK);
    cql_topo_iter it;
    cql_err e = vl__cql_topo_open(&res, CQL_TOPO_LOCAL, &it);
    if (e) return e;
    cql_node_row r;
    bool got;
    return vl__cql_topo_next(&it, &r, &got);
}

static void test_refusals(void) {
    /* wrong column type */
    CHECK_EQ(local_with(NULL, -1, "abcd", 4, 0x0D), CQL_EBADKIND);
    /* addresses of 4 or 16 bytes only */
    CHECK_EQ(local_with(NULL, -1, "abcd", 4, 0x10), CQL_OK);
    CHECK_EQ(local_with(NULL, -1, "abcde", 5, 0x10), CQL_ETYPE);
    /* token lists: a count past the bytes, a null token, not a number */
    bb t = {{0}, 0};
    bb_i32(&t, 3); bb_bytes(&t, "1", 1);
    CHECK_EQ(local_with(t.d, (int32_t)t.n, NULL, -1, 0x10), CQL_EBADCOUNT);
    t.n = 0;
    bb_i32(&t, 1); bb_bytes(&t, NULL, -1);
    CHECK_EQ(local_with(t.d, (int32_t)t.n, NULL, -1, 0x10), CQL_ENULL);
    t.n = 0;
    bb_i32(&t, 1); bb_bytes(&t, "12a", 3);
    CHECK_EQ(local_with(t.d, (int32_t)t.n, NULL, -1, 0x10), CQL_EBADKIND);
    t.n = 0;
    bb_i32(&t, (int32_t)VL_CQL_NODE_TOKENS_MAX + 1);
    CHECK_EQ(local_with(t.d, (int32_t)t.n, NULL, -1, 0x10), CQL_EBADCOUNT);
    t.n = 0;
    bb_i32(&t, -1);
    CHECK_EQ(local_with(t.d, (int32_t)t.n, NULL, -1, 0x10), CQL_EBADCOUNT);
    CHECK_EQ(local_with(t.d, 2, NULL, -1, 0x10), CQL_ETRUNC);
    /* a peers table with no address column */
    bb b = {{0}, 0};
    bb_i32(&b, 2);
    bb_i32(&b, 0x0001); bb_i32(&b, 1); bb_str(&b, "system"); bb_str(&b, "peers");
    bb_col(&b, "data_center", 0x0D);
    bb_i32(&b, 0);
    cql_result res;
    CHECK_EQ(vl__cql_decode_result(4, vl__cql_slice_of(b.d, b.n), &res), CQL_OK);
    cql_topo_iter it;
    CHECK_EQ(vl__cql_topo_open(&res, CQL_TOPO_PEERS, &it), CQL_EBADKIND);
    CHECK_EQ(vl__cql_topo_open(&res, CQL_TOPO_LOCAL, &it), CQL_OK);
    /* not Rows at all */
    res.kind = CQL_RESULT_VOID;
    CHECK_EQ(vl__cql_topo_open(&res, CQL_TOPO_LOCAL, &it), CQL_EBADKIND);
}

static void test_tokens_and_addresses(void) {
    int64_t v;
    CHECK_EQ(vl__cql_token_parse(vl__cql_str("-9223372036854775808"), &v), CQL_OK);
    CHECK(v == INT64_MIN);
    CHECK_EQ(vl__cql_token_parse(vl__cql_str("9223372036854775807"), &v), CQL_OK);
    CHECK(v == INT64_MAX);
    CHECK_EQ(vl__cql_token_parse(vl__cql_str("0"), &v), CQL_OK);
    CHECK_EQ(v, 0);
    const char *bad[] = {"", "-", "9223372036854775808", "-9223372036854775809", "+1", "1 ",
                         "99999999999999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(vl__cql_token_parse(vl__cql_str(bad[i]), &v), CQL_EBADKIND);
    struct sockaddr_storage ss;
    CHECK_EQ(vl__cql_inet_sockaddr(vl__cql_slice_of("\x7f\x00\x00\x03", 4), 9142, &ss), CQL_OK);
    const struct sockaddr_in *a = (const void *)&ss;
    CHECK(ss.ss_family == AF_INET && ntohs(a->sin_port) == 9142 &&
          ntohl(a->sin_addr.s_addr) == 0x7f000003);
    CHECK_EQ(vl__cql_inet_sockaddr(vl__cql_slice_of("\x7f\x00\x00", 3), 1, &ss), CQL_EBADLEN);
    CHECK_EQ(vl__cql_inet_sockaddr(vl__cql_slice_of("\x7f\x00\x00\x03", 4), 70000, &ss),
             CQL_EBADKIND);
    /* the address a STATUS_CHANGE event carries */
    bb body = {{0}, 0};
    s_event_status(&body);
    cql_event ev;
    CHECK_EQ(vl__cql_decode_event(vl__cql_slice_of(body.d, body.n), &ev), CQL_OK);
    CHECK_EQ(vl__cql_inet_sockaddr(ev.addr, ev.port, &ss), CQL_OK);
    CHECK(ss.ss_family == AF_INET && ntohs(a->sin_port) == 9042);
}

int main(void) {
    RUN(test_local);
    RUN(test_peers_v2);
    RUN(test_peers);
    RUN(test_replication);
    RUN(test_replication_variants);
    RUN(test_refusals);
    RUN(test_tokens_and_addresses);
    return 0;
}
