/*
 * test_cql_ring.c -- the token ring and replica placement (src/cql/ring.c):
 * which node owns a token at and between ring tokens and around the wrap;
 * SimpleStrategy; NetworkTopologyStrategy with racks (a repeat only when
 * racks run out), with two datacenters (the local one's replicas first),
 * with fewer nodes than the factor; other strategies; the layout of the
 * test cluster (scripts/cassandra-cluster.sh), where NetworkTopologyStrategy
 * at RF 2 must skip the node on the same rack.
 *
 * Owns: its tests. Threads: single-threaded.
 */
#include <stdlib.h>

#include "cql/ring.h"
#include "../support/check.h"

static cql_replication simple(uint32_t rf) {
    cql_replication r = {.cls = CQL_REPL_SIMPLE, .rf = rf};
    return r;
}

static cql_replication nts1(const char *dc, uint32_t rf) {
    cql_replication r = {.cls = CQL_REPL_NTS, .n_dcs = 1};
    snprintf(r.dcs[0].name, sizeof r.dcs[0].name, "%s", dc);
    r.dcs[0].rf = rf;
    return r;
}

/* The replicas of `token` as a string of node indexes, e.g. "021". */
static const char *reps(const cql_ring *r, int64_t token) {
    static char buf[VL_CQL_REPLICAS_MAX + 1];
    const uint16_t *l;
    uint32_t n = vl__cql_ring_replicas(r, token, &l);
    for (uint32_t i = 0; i < n; i++) buf[i] = (char)('0' + l[i]);
    buf[n] = 0;
    return buf;
}

static void test_ownership(void) {
    int64_t t0[] = {-100, 200}, t1[] = {0}, t2[] = {100, INT64_MAX};
    cql_ring_node n[3] = {{"dc", "r", t0, 2, false}, {"dc", "r", t1, 1, false},
                          {"dc", "r", t2, 2, false}};
    cql_replication r = simple(1);
    cql_ring ring;
    CHECK_OK(vl__cql_ring_build(&ring, n, 3, &r, NULL));
    CHECK_EQ(ring.n, 5);
    CHECK(strcmp(reps(&ring, -100), "0") == 0); /* (prev, t] belongs to t's node */
    CHECK(strcmp(reps(&ring, -99), "1") == 0);
    CHECK(strcmp(reps(&ring, 0), "1") == 0);
    CHECK(strcmp(reps(&ring, 1), "2") == 0);
    CHECK(strcmp(reps(&ring, 150), "0") == 0);
    CHECK(strcmp(reps(&ring, 201), "2") == 0);
    CHECK(strcmp(reps(&ring, INT64_MAX), "2") == 0);
    CHECK(strcmp(reps(&ring, INT64_MIN + 1), "0") == 0); /* wraps to the first */
    vl__cql_ring_free(&ring);
    r = simple(2);
    CHECK_OK(vl__cql_ring_build(&ring, n, 3, &r, NULL));
    CHECK(strcmp(reps(&ring, -100), "01") == 0);
    CHECK(strcmp(reps(&ring, 150), "02") == 0);
    CHECK(strcmp(reps(&ring, 300), "20") == 0); /* t2's INT64_MAX, then wrap to -100 */
    vl__cql_ring_free(&ring);
    r = simple(5); /* more than there are nodes: each node once */
    CHECK_OK(vl__cql_ring_build(&ring, n, 3, &r, NULL));
    CHECK(strcmp(reps(&ring, 1), "201") == 0);
    vl__cql_ring_free(&ring);
}

/* The test cluster: 16 tokens each, interleaved 1,2,3,1,2,3...; racks
 * rack1, rack1, rack2 in dc1. */
static void cluster_layout(cql_ring_node *n, int64_t tok[3][16]) {
    static const char *racks[3] = {"rack1", "rack1", "rack2"};
    uint64_t step = UINT64_MAX / 48; /* 2^64 // 48, as the script computes it */
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 16; k++)
            tok[i][k] = (int64_t)(0x8000000000000000ull + step / 2 + (uint64_t)(3 * k + i) * step);
        n[i] = (cql_ring_node){"dc1", racks[i], tok[i], 16, false};
        CHECK(i != 1 || tok[1][0] == -8646911284551352321LL); /* node 2's first, from its yaml */
    }
}

static void test_nts_racks(void) {
    cql_ring_node n[3];
    int64_t tok[3][16];
    cluster_layout(n, tok);
    cql_replication r = nts1("dc1", 2);
    cql_ring ring;
    CHECK_OK(vl__cql_ring_build(&ring, n, 3, &r, "dc1"));
    CHECK_EQ(ring.n, 48);
    for (int k = 0; k < 16; k++) {
        /* node 0 owns: node 1 is next but on the same rack, so node 2 */
        CHECK(strcmp(reps(&ring, tok[0][k]), "02") == 0);
        CHECK(strcmp(reps(&ring, tok[1][k]), "12") == 0);
        CHECK(strcmp(reps(&ring, tok[2][k]), "20") == 0);
    }
    vl__cql_ring_free(&ring);
    r = simple(2); /* SimpleStrategy knows no racks */
    CHECK_OK(vl__cql_ring_build(&ring, n, 3, &r, NULL));
    CHECK(strcmp(reps(&ring, tok[0][3]), "01") == 0);
    vl__cql_ring_free(&ring);
    r = nts1("dc1", 3); /* 3 replicas on 2 racks: one repeat, taken in ring order */
    CHECK_OK(vl__cql_ring_build(&ring, n, 3, &r, "dc1"));
    CHECK(strcmp(reps(&ring, tok[0][5]), "012") == 0);
    CHECK(strcmp(reps(&ring, tok[1][5]), "120") == 0);
    vl__cql_ring_free(&ring);
}

static void test_nts_two_dcs(void) {
    /* Ring order: a1 b1 a2 b2 a3 b3 (tokens 10..60). */
    int64_t t[6][1] = {{10}, {20}, {30}, {40}, {50}, {60}};
    cql_ring_node n[6] = {
        {"A", "r1", t[0], 1, false}, {"B", "r1", t[1], 1, false}, {"A", "r2", t[2], 1, false},
        {"B", "r2", t[3], 1, false}, {"A", "r3", t[4], 1, false}, {"B", "r3", t[5], 1, false}};
    cql_replication r = {.cls = CQL_REPL_NTS, .n_dcs = 2};
    snprintf(r.dcs[0].name, sizeof r.dcs[0].name, "A");
    r.dcs[0].rf = 2;
    snprintf(r.dcs[1].name, sizeof r.dcs[1].name, "B");
    r.dcs[1].rf = 1;
    cql_ring ring;
    CHECK_OK(vl__cql_ring_build(&ring, n, 6, &r, "B"));
    CHECK_EQ(ring.width, 3);
    /* token 10: ring order a1(0) b1(1) a2(2); local B first */
    CHECK(strcmp(reps(&ring, 10), "102") == 0);
    /* token 15 is in (10, 20], b1's: b1, then a2, (b2 skipped: B is full), a3 */
    CHECK(strcmp(reps(&ring, 15), "124") == 0);
    vl__cql_ring_free(&ring);
    CHECK_OK(vl__cql_ring_build(&ring, n, 6, &r, "A"));
    CHECK(strcmp(reps(&ring, 55), "025") == 0); /* b3 a1 (b1) a2: A's a1 a2, then B's b3 */
    vl__cql_ring_free(&ring);
    /* A datacenter the keyspace does not name holds nothing; a factor
     * above the datacenter's node count takes every node there. */
    r.n_dcs = 1;
    r.dcs[0].rf = 7;
    CHECK_OK(vl__cql_ring_build(&ring, n, 6, &r, NULL));
    CHECK_EQ(ring.width, 3);
    CHECK(strcmp(reps(&ring, 35), "402") == 0); /* from b2's token: a3 a1 a2 */
    vl__cql_ring_free(&ring);
}

static void test_others(void) {
    int64_t t0[] = {5}, t1[] = {9};
    cql_ring_node n[3] = {{"dc", "r", t0, 1, false}, {"dc", "r", t1, 1, true},
                          {"dc", "r", NULL, 0, false}};
    cql_replication r = {.cls = CQL_REPL_OTHER};
    cql_ring ring;
    CHECK_OK(vl__cql_ring_build(&ring, n, 3, &r, NULL));
    CHECK_EQ(ring.n, 1); /* a skipped node and one without tokens are not in it */
    const uint16_t *l;
    CHECK_EQ(vl__cql_ring_replicas(&ring, 7, &l), 0);
    vl__cql_ring_free(&ring);
    r = simple(3);
    CHECK_OK(vl__cql_ring_build(&ring, n, 3, &r, NULL));
    CHECK(strcmp(reps(&ring, 100), "0") == 0);
    vl__cql_ring_free(&ring);
    CHECK_OK(vl__cql_ring_build(&ring, n, 0, &r, NULL)); /* no nodes at all */
    CHECK_EQ(vl__cql_ring_replicas(&ring, 7, &l), 0);
    vl__cql_ring_free(&ring);
    /* a token claimed twice goes to the first node */
    int64_t dup[] = {5};
    cql_ring_node d[2] = {{"dc", "r", t0, 1, false}, {"dc", "r", dup, 1, false}};
    r = simple(1);
    CHECK_OK(vl__cql_ring_build(&ring, d, 2, &r, NULL));
    CHECK_EQ(ring.n, 1);
    CHECK(strcmp(reps(&ring, 5), "0") == 0);
    vl__cql_ring_free(&ring);
    cql_ring_node many[VL_CQL_NODES_MAX + 1];
    memset(many, 0, sizeof many);
    CHECK_ST(vl__cql_ring_build(&ring, many, VL_CQL_NODES_MAX + 1, &r, NULL), VL_EINVAL);
}

int main(void) {
    RUN(test_ownership);
    RUN(test_nts_racks);
    RUN(test_nts_two_dcs);
    RUN(test_others);
    return 0;
}
