/*
 * test_cluster_routing.c -- the Cassandra upstream on the real three-node
 * test cluster (scripts/cassandra-cluster.sh): token-aware routing shown by
 * each node's request counters, checked against the tokens Cassandra itself
 * computes (SELECT token(key)) and the ring its system tables describe;
 * replica sets under NetworkTopologyStrategy with racks, against
 * python3-cassandra's; discovery from the host name "localhost"; schema
 * agreement after `create` (every node has the table and the same schema
 * version); vl_clear (TRUNCATE) on the cluster; an unreachable contact point
 * list.
 *
 * Owns: keyspaces vellir_rf1 (one replica per key) and vellir_rf2, tables in
 * vellir_cluster. Threads: the test thread, the shards, direct clients on
 * the test thread's own loops.
 */
#include <stdlib.h>

#include "cass_env.h"
#include "cql/ring.h"
#include "util/clock.h"

#define KEYS 300

static const char *const node_addr[3] = {"127.0.0.1", "127.0.0.2", "127.0.0.3"};
static cass_direct *db[3]; /* one direct client per node */
static vl_upstream up;      /* the service's, for vl_cassandra_node_stats */

static vl_service *open_cluster(const char *host, const char *ks, const char *table,
                                uint32_t rf, uint32_t shards) {
    vl_cassandra_options co;
    vl_cassandra_options_init(&co);
    co.host = host;
    co.port = cass_test_port();
    co.keyspace = ks;
    co.table = table;
    co.create = true;
    co.replication_factor = rf;
    vl_options o;
    test_options(&o, shards);
    o.log = test_log_sink;
    CHECK_OK(vl_cassandra_upstream(&co, &up));
    vl_service *svc = NULL;
    CHECK_OK(vl_open(&o, &counter_type_absent, &up, &svc));
    return svc;
}

/* ---- the ring, as node 1's system tables describe it --------------------------------- */

typedef struct ring_entry {
    int64_t token;
    int node; /* 0..2: 127.0.0.(node+1) */
} ring_entry;

static ring_entry ring[64];
static int ring_n;
static int64_t node_tokens[3][16];
static int node_ntok[3];

static void on_ring_row(void *arg, const cql_value *c, uint32_t n) {
    (void)arg;
    CHECK(n == 2 && c[0].len == 4);
    int node = c[0].p[3] - 1; /* 127.0.0.N */
    CHECK(node >= 0 && node < 3);
    const uint8_t *p = c[1].p;
    int32_t count = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    p += 4;
    for (int32_t i = 0; i < count; i++) {
        int32_t len = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        char s[32];
        snprintf(s, sizeof s, "%.*s", len, (const char *)p + 4);
        p += 4 + len;
        int64_t t = strtoll(s, NULL, 10);
        ring[ring_n++] = (ring_entry){t, node};
        node_tokens[node][node_ntok[node]++] = t;
    }
}

static int cmp_entry(const void *a, const void *b) {
    const ring_entry *x = a, *y = b;
    return x->token < y->token ? -1 : x->token > y->token;
}

static void read_ring(void) {
    ring_n = 0;
    memset(node_ntok, 0, sizeof node_ntok);
    CHECK_OK(cd_rows(db[0], "SELECT rpc_address, tokens FROM system.local", NULL, 0, on_ring_row, NULL));
    CHECK_OK(cd_rows(db[0], "SELECT native_address, tokens FROM system.peers_v2", NULL, 0,
                     on_ring_row, NULL));
    CHECK_EQ(ring_n, 48);
    qsort(ring, (size_t)ring_n, sizeof ring[0], cmp_entry);
}

/* The node owning a token: that of the first ring token >= it (wrapping). */
static int owner(int64_t t) {
    for (int i = 0; i < ring_n; i++)
        if (ring[i].token >= t) return ring[i].node;
    return ring[0].node;
}

/* ---- tokens, as Cassandra computes them ---------------------------------------------- */

static char keys[KEYS][24];
static int64_t key_token[KEYS];

static void on_token_row(void *arg, const cql_value *c, uint32_t n) {
    int *seen = arg;
    CHECK(n == 2 && c[1].len == 8);
    char k[24];
    snprintf(k, sizeof k, "%.*s", c[0].len, (const char *)c[0].p);
    int i = atoi(k + 3); /* "rk-<i>" */
    CHECK(i >= 0 && i < KEYS && strcmp(k, keys[i]) == 0);
    int64_t t;
    CHECK_EQ(vl__cql_get_bigint(&c[1], &t), CQL_OK);
    key_token[i] = t;
    (*seen)++;
}

static uint64_t requests_of(int node) {
    vl_cassandra_node st[8];
    uint32_t n = vl_cassandra_node_stats(&up, st, 8);
    char want[64];
    snprintf(want, sizeof want, "%s:%u", node_addr[node], cass_test_port());
    for (uint32_t i = 0; i < n && i < 8; i++)
        if (strcmp(st[i].address, want) == 0) return st[i].requests;
    CHECK(!"node not known to the upstream");
    return 0;
}

/* With one replica per key, each cold load goes to that replica: the node
 * owning Cassandra's own token for the key on the ring of its system
 * tables. Loads one at a time, each seen in the per-node counters. */
static void test_loads_go_to_the_replica(void) {
    vl_service *svc = open_cluster("127.0.0.1", "vellir_rf1", "routing", 1, 2);
    for (int i = 0; i < KEYS; i++) {
        set_arg a = {i + 1, 0, vl_within(100)};
        CHECK_OK(vl_write_sync(svc, keys[i], strlen(keys[i]), counter_set, &a));
    }
    CHECK_OK(vl_close(svc, NULL));
    int seen = 0;
    CHECK_OK(cd_rows(db[0], "SELECT key, token(key) FROM vellir_rf1.routing", NULL, 0,
                     on_token_row, &seen));
    CHECK_EQ(seen, KEYS);
    read_ring();
    svc = open_cluster("127.0.0.1", "vellir_rf1", "routing", 1, 1);
    uint64_t per_node[3] = {0, 0, 0};
    for (int i = 0; i < KEYS; i++) {
        CHECK_EQ(vl__cql_murmur3_token(keys[i], strlen(keys[i])), key_token[i]);
        uint64_t before[3];
        for (int n = 0; n < 3; n++) before[n] = requests_of(n);
        read_out r;
        CHECK_OK(vl_read_sync(svc, keys[i], strlen(keys[i]), counter_read, &r));
        CHECK_EQ(r.value, i + 1);
        int want = owner(key_token[i]);
        for (int n = 0; n < 3; n++) CHECK_EQ(requests_of(n) - before[n], n == want ? 1 : 0);
        per_node[want]++;
    }
    printf("# %d cold loads, each to its replica: 127.0.0.1 %llu, 127.0.0.2 %llu, 127.0.0.3 %llu\n",
           KEYS, (unsigned long long)per_node[0], (unsigned long long)per_node[1],
           (unsigned long long)per_node[2]);
    for (int n = 0; n < 3; n++) CHECK(per_node[n] >= KEYS / 5); /* spread over the three */
    CHECK(test_log_contains("token-aware routing (NetworkTopologyStrategy dc1:1)"));
    CHECK_OK(vl_close(svc, NULL));
}

/* ---- replicas under NetworkTopologyStrategy, against python3-cassandra ---------------- */

/* Our ring (src/cql/ring.c) over the cluster's own tokens and racks gives
 * the same replica lists as the DataStax Python driver's token map. */
static void test_replicas_match_the_python_driver(void) {
    CHECK_OK(cd_exec(db[0], "CREATE KEYSPACE IF NOT EXISTS vellir_rf2 WITH replication = "
                            "{'class': 'NetworkTopologyStrategy', 'dc1': 2}"));
    read_ring();
    static const char *racks[3] = {"rack1", "rack1", "rack2"};
    cql_ring_node nodes[3];
    for (int n = 0; n < 3; n++)
        nodes[n] = (cql_ring_node){"dc1", racks[n], node_tokens[n], (uint32_t)node_ntok[n], false};
    cql_replication repl = {.cls = CQL_REPL_NTS, .n_dcs = 1};
    snprintf(repl.dcs[0].name, sizeof repl.dcs[0].name, "dc1");
    repl.dcs[0].rf = 2;
    cql_ring r;
    CHECK_OK(vl__cql_ring_build(&r, nodes, 3, &repl, "dc1"));
    char script[] = "/tmp/vellir-replicas-XXXXXX";
    int fd = mkstemp(script);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "import logging, sys\nlogging.basicConfig(level=logging.CRITICAL)\n"
               "from cassandra.cluster import Cluster\n"
               "c = Cluster(['127.0.0.1'], port=%u)\nc.connect()\n"
               "for line in sys.stdin:\n"
               "    k = line.strip().encode()\n"
               "    print(' '.join(sorted(h.address for h in c.metadata.get_replicas('vellir_rf2', k))))\n"
               "c.shutdown()\n",
            cass_test_port());
    fclose(f);
    char cmd[256], in_path[] = "/tmp/vellir-keys-XXXXXX";
    int kfd = mkstemp(in_path);
    CHECK(kfd >= 0);
    FILE *kf = fdopen(kfd, "w");
    for (int i = 0; i < 100; i++) fprintf(kf, "%s\n", keys[i]);
    fclose(kf);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -W ignore %s < %s", script, in_path);
    FILE *p = popen(cmd, "r");
    CHECK(p);
    char line[128];
    int i = 0, rack_split = 0;
    while (i < 100 && fgets(line, sizeof line, p)) {
        const uint16_t *reps;
        uint32_t n = vl__cql_ring_replicas(&r, vl__cql_murmur3_token(keys[i], strlen(keys[i])), &reps);
        CHECK_EQ(n, 2);
        int a = reps[0] < reps[1] ? reps[0] : reps[1], b = reps[0] < reps[1] ? reps[1] : reps[0];
        char ours[64];
        snprintf(ours, sizeof ours, "%s %s\n", node_addr[a], node_addr[b]);
        if (strcmp(ours, line) != 0) {
            fprintf(stderr, "key %s: ours %s, the driver's %s", keys[i], ours, line);
            CHECK(!"replica sets differ");
        }
        rack_split += strcmp(racks[a], racks[b]) != 0;
        i++;
    }
    CHECK_EQ(pclose(p), 0);
    CHECK_EQ(i, 100);
    CHECK_EQ(rack_split, 100); /* every key on both racks: the rack rule held */
    unlink(script);
    unlink(in_path);
    vl__cql_ring_free(&r);
    printf("# 100 keys: the same two replicas as python3-cassandra, always on two racks\n");
}

/* ---- discovery, create, truncate, errors -------------------------------------------- */

static void test_localhost_contact_point(void) {
    vl_service *svc = open_cluster("localhost", "vellir_cluster", "named", 3, 1);
    vl_cassandra_node st[8];
    CHECK_EQ(vl_cassandra_node_stats(&up, st, 8), 3);
    for (int n = 0; n < 3; n++) CHECK(st[n].up && st[n].in_ring);
    CHECK(test_log_contains("contact point localhost resolved to"));
    set_arg a = {5, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "n", 1, counter_set, &a));
    CHECK_OK(vl_close(svc, NULL));
}

static void on_version(void *arg, const cql_value *c, uint32_t n) {
    CHECK(n == 1 && c[0].len == 16);
    memcpy(arg, c[0].p, 16);
}

static void on_count(void *arg, const cql_value *c, uint32_t n) {
    (void)c, (void)n;
    (*(int *)arg)++;
}

/* After `create`, every node has the new table and the same schema. */
static void test_schema_agreement_after_create(void) {
    char table[32];
    snprintf(table, sizeof table, "fresh_%lld", (long long)(vl__wall_us() % 1000000000));
    vl_service *svc = open_cluster("127.0.0.1", "vellir_cluster", table, 3, 2);
    CHECK(test_log_contains("after create: schema agreement ("));
    CHECK(test_log_contains("on 3 nodes in"));
    uint8_t v[3][16];
    for (int n = 0; n < 3; n++) {
        CHECK_OK(cd_rows(db[n], "SELECT schema_version FROM system.local", NULL, 0, on_version, v[n]));
        int found = 0;
        cql_value args[2] = {vl__cql_text("vellir_cluster"), vl__cql_text(table)};
        CHECK_OK(cd_rows(db[n], "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? "
                                "AND table_name = ?", args, 2, on_count, &found));
        CHECK_EQ(found, 1);
    }
    CHECK(memcmp(v[0], v[1], 16) == 0 && memcmp(v[0], v[2], 16) == 0);
    CHECK_OK(vl_close(svc, NULL));
}

static void test_clear_on_the_cluster(void) {
    vl_service *svc = open_cluster("127.0.0.1", "vellir_cluster", "cleared", 3, 2);
    char k[16];
    for (int i = 0; i < 30; i++) {
        int n = snprintf(k, sizeof k, "c%d", i);
        set_arg a = {i, 0, vl_immediate()};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    CHECK_OK(cass_clear_sync(svc));
    cd_set_keyspace(db[2], "vellir_cluster");
    cd_set_consistency(db[2], CQL_ALL);
    for (int i = 0; i < 30; i++) {
        snprintf(k, sizeof k, "c%d", i);
        CHECK_EQ(cd_counter(db[2], "cleared", k), -1);
    }
    CHECK_OK(vl_close(svc, NULL));
}

static void test_unreachable_contact_points(void) {
    vl_cassandra_options co;
    vl_cassandra_options_init(&co);
    co.host = "127.0.0.9, 127.0.0.10";
    co.port = cass_test_port();
    co.keyspace = "vellir_cluster";
    vl_options o;
    test_options(&o, 1);
    o.log = test_log_sink;
    vl_upstream u;
    CHECK_OK(vl_cassandra_upstream(&co, &u));
    vl_service *svc = NULL;
    CHECK_ST(vl_open(&o, &counter_type, &u, &svc), VL_EUNAVAILABLE);
    u.release(u.ctx);
    char a[128], b[64];
    snprintf(a, sizeof a, "127.0.0.9:%u (VL_EUNAVAILABLE: connect to 127.0.0.9:%u: connection refused)",
             cass_test_port(), cass_test_port());
    snprintf(b, sizeof b, "127.0.0.10:%u", cass_test_port());
    CHECK(test_log_contains("cannot open the Cassandra cluster at 127.0.0.9, 127.0.0.10: "
                            "no contact point answered"));
    CHECK(test_log_contains(a) && test_log_contains(b));
}

int main(void) {
    for (int i = 0; i < KEYS; i++) snprintf(keys[i], sizeof keys[i], "rk-%d", i);
    for (int n = 0; n < 3; n++) db[n] = cd_open_at(node_addr[n]);
    RUN(test_loads_go_to_the_replica);
    RUN(test_replicas_match_the_python_driver);
    RUN(test_localhost_contact_point);
    RUN(test_schema_agreement_after_create);
    RUN(test_clear_on_the_cluster);
    RUN(test_unreachable_contact_points);
    for (int n = 0; n < 3; n++) cd_close(db[n]);
    return 0;
}
