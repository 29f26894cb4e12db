/*
 * test_cql_cluster_faults.c -- the cluster client (src/cql/cluster.h)
 * against a fake cluster: three fault injectors (tests/support/cql_fault.h)
 * on 127.0.0.1, each telling the client about the other two through its
 * system tables. Compatibility with a real cluster is proven in
 * tests/cassandra-cluster; this makes the client take its failure paths:
 * discovery from one contact point, routing to each key's owner, a node
 * reported DOWN and UP by events, a node that goes away, a load that times
 * out or meets Overloaded and is retried once on the next replica (and a
 * non-idempotent one that is not), heartbeats on idle connections and a peer
 * that goes silent, the control connection moving to another node, a
 * topology event re-reading the tables, a server without system.peers_v2,
 * schema agreement (a node that disagrees, then agrees; a node that is
 * down), contact points that cannot be reached or resolved, a host name as
 * contact point, the pool size, and close with requests outstanding.
 *
 * Owns: a private libuv loop and the injectors of each test.
 * Threads: the test thread runs the loop; each injector has its own thread.
 */
#include "cass_env.h"
#include "cql/cluster.h"
#include "cql/ring.h"
#include "cql_fault.h"
#include "loop_help.h"
#include "util/clock.h"

static uv_loop_t loop;
static uv_timer_t tick; /* keeps uv_run(ONCE) from sleeping past a test's deadline */

#define SELECT "SELECT value, TTL(value) FROM ks.t WHERE key = ?"
#define NKEYS 240

static const char *const tokens[3] = {"-3000000000000000000", "3000000000000000000",
                                      "9000000000000000000"};
static char keys[NKEYS][16];

/* The node owning a key's token in the fake ring (first ring token >= it). */
static int owner_of(const char *k) {
    int64_t t = vl__cql_murmur3_token(k, strlen(k));
    if (t <= -3000000000000000000LL) return 0;
    if (t <= 3000000000000000000LL) return 1;
    if (t <= 9000000000000000000LL) return 2;
    return 0;
}

/* A key owned by node `n`. */
static const char *key_of(int n) {
    for (int i = 0; i < NKEYS; i++)
        if (owner_of(keys[i]) == n) return keys[i];
    CHECK(!"no key for that node");
    return NULL;
}

typedef struct fake {
    cql_fault *f[3];
    uint16_t port[3];
} fake;

static void fake_topology(fake *k, int i, uint32_t rf, uint8_t schema_of_b) {
    cf_topology t = {.repl_class = "SimpleStrategy", .rf = rf};
    t.self = (cf_node){0, "dc1", "rack1", tokens[i], i == 1 ? schema_of_b : 1};
    for (int j = 0; j < 3; j++)
        if (j != i)
            t.peers[t.n_peers++] = (cf_node){k->port[j], "dc1", "rack1", tokens[j],
                                              j == 1 ? schema_of_b : 1};
    cql_fault_topology(k->f[i], &t);
}

static void fake_start(fake *k, uint32_t rf) {
    for (int i = 0; i < 3; i++) {
        k->f[i] = cql_fault_start();
        k->port[i] = cql_fault_port(k->f[i]);
    }
    for (int i = 0; i < 3; i++) fake_topology(k, i, rf, 1);
}

static void fake_stop(fake *k) {
    for (int i = 0; i < 3; i++) cql_fault_stop(k->f[i]);
}

static uint64_t executes(cql_fault *f) {
    cql_fault_counts n;
    cql_fault_counts_get(f, &n);
    return n.executes;
}

/* ---- the loop ---------------------------------------------------------------------- */

typedef struct started {
    int done;
    vl_status st;
    char detail[900];
} started;

static void on_started(void *arg, vl_status st, const char *detail) {
    started *s = arg;
    s->done = 1;
    s->st = st;
    snprintf(s->detail, sizeof s->detail, "%s", detail);
}

typedef struct reply {
    int done;
    vl_status st;
} reply;

static void on_reply(void *arg, vl_status st, const cql_response *r) {
    (void)r;
    reply *p = arg;
    p->done++;
    p->st = st;
}

static void run_until(const int *flag, int ms) { test_loop_until(&loop, flag, ms); }
static void run_for(int ms) { test_loop_for(&loop, ms); }

typedef struct opts_tweak {
    uint32_t pool_size, heartbeat_ms, request_timeout_ms, connect_timeout_ms;
} opts_tweak;

static cql_cluster *cluster_at(const char *const *cps, uint32_t n, uint16_t port,
                               const opts_tweak *tw, cql_cstmt **sel, started *s) {
    cql_cluster_opts o;
    vl__cql_cluster_opts_init(&o);
    o.contact_points = cps;
    o.n_contact_points = n;
    o.port = port;
    o.keyspace = "ks";
    o.reconnect_base_ms = 10;
    o.reconnect_cap_ms = 50;
    o.request_timeout_ms = 2000;
    o.log = test_log_sink;
    if (tw) {
        o.pool_size = tw->pool_size;
        if (tw->heartbeat_ms) o.heartbeat_ms = tw->heartbeat_ms;
        if (tw->request_timeout_ms) o.request_timeout_ms = tw->request_timeout_ms;
        if (tw->connect_timeout_ms) o.connect_timeout_ms = tw->connect_timeout_ms;
    }
    cql_cluster *cl;
    CHECK_OK(vl__cql_cluster_new(&loop, &o, &cl));
    *sel = vl__cql_cluster_statement(cl, SELECT);
    CHECK(*sel);
    vl__cql_cluster_start(cl, on_started, s);
    run_until(&s->done, 5000);
    CHECK(s->done);
    return cl;
}

static cql_cluster *cluster_on(uint16_t port, const opts_tweak *tw, cql_cstmt **sel) {
    static const char *const cp[] = {"127.0.0.1"};
    started s = {0};
    opts_tweak one = {.pool_size = 1};
    cql_cluster *cl = cluster_at(cp, 1, port, tw ? tw : &one, sel, &s);
    CHECK_OK(s.st);
    return cl;
}

static void on_closed(void *arg) { *(int *)arg = 1; }

static void close_cluster(cql_cluster *cl) {
    int closed = 0;
    vl__cql_cluster_close(cl, on_closed, &closed);
    run_until(&closed, 3000);
    CHECK(closed);
}

static vl_status get(cql_cluster *cl, cql_cstmt *sel, const char *k, uint32_t flags, reply *r) {
    cql_value v = vl__cql_blob(k, strlen(k));
    cql_params p = {.consistency = CQL_ONE, .values = &v, .n_values = 1};
    return vl__cql_cluster_execute(cl, sel, vl__cql_slice_of(k, strlen(k)), flags, &p, NULL,
                                   on_reply, r);
}

static vl_status get_sync(cql_cluster *cl, cql_cstmt *sel, const char *k, uint32_t flags) {
    reply r = {0};
    vl_status st = get(cl, sel, k, flags, &r);
    if (st != VL_OK) return st;
    run_until(&r.done, 5000);
    CHECK_EQ(r.done, 1);
    return r.st;
}

/* The counters of the node at 127.0.0.1:port. */
static cql_node_stats node_at(cql_cluster *cl, uint16_t port) {
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%u", port);
    cql_node_stats s;
    for (uint32_t i = 0; i < vl__cql_cluster_nodes(cl); i++) {
        vl__cql_cluster_node_stats(cl, i, &s);
        if (strcmp(s.address, want) == 0) return s;
    }
    CHECK(!"no such node");
    return s;
}

/* Runs the loop until the node's `up` is `up` (at most 3 s). */
static void wait_up(cql_cluster *cl, uint16_t port, bool up) {
    int64_t end = vl__mono_us() + 3000000;
    while (node_at(cl, port).up != up && vl__mono_us() < end) uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ(node_at(cl, port).up, up);
}

/* ---- discovery and routing ---------------------------------------------------------- */

static void test_discovery_and_routing(void) {
    fake k;
    fake_start(&k, 1);
    cql_cstmt *sel;
    cql_cluster *cl = cluster_on(k.port[0], NULL, &sel);
    CHECK_EQ(vl__cql_cluster_nodes(cl), 3);
    CHECK(strcmp(vl__cql_cluster_local_dc(cl), "dc1") == 0);
    CHECK(test_log_contains("3 nodes, 3 up, local datacenter dc1; token-aware routing (SimpleStrategy 1)"));
    uint64_t before[3], want[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) before[i] = executes(k.f[i]);
    static reply r[NKEYS];
    memset(r, 0, sizeof r);
    for (int i = 0; i < NKEYS; i++) {
        want[owner_of(keys[i])]++;
        CHECK_OK(get(cl, sel, keys[i], 0, &r[i]));
    }
    for (int i = 0; i < NKEYS; i++) {
        run_until(&r[i].done, 5000);
        CHECK_OK(r[i].st);
    }
    for (int i = 0; i < 3; i++) {
        CHECK(want[i] > 20); /* the keys spread over the three */
        CHECK_EQ(executes(k.f[i]) - before[i], want[i]);
        cql_node_stats s = node_at(cl, k.port[i]);
        CHECK_EQ(s.sent, want[i]);
        CHECK_EQ(s.ok, want[i]);
        CHECK(s.up && s.in_ring && s.in_flight == 0);
    }
    /* No routing key: round-robin over the three. */
    for (int i = 0; i < 3; i++) before[i] = executes(k.f[i]);
    for (int i = 0; i < 30; i++) {
        reply x = {0};
        cql_value v = vl__cql_blob("rr", 2);
        cql_params p = {.consistency = CQL_ONE, .values = &v, .n_values = 1};
        CHECK_OK(vl__cql_cluster_execute(cl, sel, vl__cql_slice_of(NULL, 0), 0, &p, NULL,
                                         on_reply, &x));
        run_until(&x.done, 3000);
        CHECK_OK(x.st);
    }
    for (int i = 0; i < 3; i++) CHECK_EQ(executes(k.f[i]) - before[i], 10);
    close_cluster(cl);
    fake_stop(&k);
}

/* ---- nodes going down and up ----------------------------------------------------------- */

static void test_events_down_and_up(void) {
    fake k;
    fake_start(&k, 2);
    cql_cstmt *sel;
    cql_cluster *cl = cluster_on(k.port[0], NULL, &sel); /* control on node 0 */
    const char *kb = key_of(1);
    uint64_t b0 = executes(k.f[1]), c0 = executes(k.f[2]);
    CHECK_OK(get_sync(cl, sel, kb, 0));
    CHECK_EQ(executes(k.f[1]) - b0, 1); /* its owner */
    cql_fault_event(k.f[0], "STATUS_CHANGE", "DOWN", k.port[1]);
    wait_up(cl, k.port[1], false);
    CHECK(test_log_contains("reported down by the cluster"));
    CHECK_OK(get_sync(cl, sel, kb, 0));
    CHECK_EQ(executes(k.f[1]) - b0, 1);
    CHECK_EQ(executes(k.f[2]) - c0, 1); /* the next replica */
    cql_fault_event(k.f[0], "STATUS_CHANGE", "UP", k.port[1]);
    wait_up(cl, k.port[1], true);
    CHECK_OK(get_sync(cl, sel, kb, 0));
    CHECK_EQ(executes(k.f[1]) - b0, 2);
    close_cluster(cl);
    fake_stop(&k);
}

static void test_node_goes_away(void) {
    fake k;
    fake_start(&k, 2);
    cql_cstmt *sel;
    cql_cluster *cl = cluster_on(k.port[0], NULL, &sel);
    const char *kb = key_of(1);
    cql_fault_down(k.f[1], true);
    wait_up(cl, k.port[1], false); /* its connection is backing off */
    CHECK(test_log_contains("every connection is backing off"));
    uint64_t c0 = executes(k.f[2]);
    CHECK_OK(get_sync(cl, sel, kb, 0));
    CHECK_EQ(executes(k.f[2]) - c0, 1);
    cql_fault_down(k.f[1], false);
    wait_up(cl, k.port[1], true); /* reconnected within the 50 ms backoff cap */
    close_cluster(cl);
    fake_stop(&k);
}

/* ---- the one retry of an idempotent load --------------------------------------------- */

static void test_load_retried_on_next_replica(void) {
    fake k;
    fake_start(&k, 2);
    opts_tweak tw = {.pool_size = 1, .request_timeout_ms = 300};
    cql_cstmt *sel;
    cql_cluster *cl = cluster_on(k.port[0], &tw, &sel);
    const char *kb = key_of(1);
    /* No answer from the owner: sent once more, to node 2, which answers. */
    cql_fault_hang_next(k.f[1], CF_READS, 1, 0);
    uint64_t c0 = executes(k.f[2]);
    CHECK_OK(get_sync(cl, sel, kb, CQL_IDEMPOTENT));
    CHECK_EQ(executes(k.f[2]) - c0, 1);
    cql_node_stats b = node_at(cl, k.port[1]), c = node_at(cl, k.port[2]);
    CHECK_EQ(b.timeouts, 1);
    CHECK_EQ(b.retried, 1);
    CHECK_EQ(c.ok, 1);
    /* Overloaded: the same. */
    cql_fault_error_next(k.f[1], CF_READS, 1, 0x1001);
    CHECK_OK(get_sync(cl, sel, kb, CQL_IDEMPOTENT));
    b = node_at(cl, k.port[1]);
    CHECK_EQ(b.overloaded, 1);
    CHECK_EQ(b.retried, 2);
    /* A server's Read_timeout would be the same from any coordinator: not retried. */
    cql_fault_error_next(k.f[1], CF_READS, 1, 0x1200);
    CHECK_ST(get_sync(cl, sel, kb, CQL_IDEMPOTENT), VL_ETIMEOUT);
    CHECK_EQ(node_at(cl, k.port[1]).retried, 2);
    /* Not idempotent: the failure goes to the caller. */
    cql_fault_hang_next(k.f[1], CF_READS, 1, 0);
    CHECK_ST(get_sync(cl, sel, kb, 0), VL_ETIMEOUT);
    /* Retried once only: both replicas fail it. */
    cql_fault_error_next(k.f[1], CF_READS, 1, 0x1001);
    cql_fault_error_next(k.f[2], CF_READS, 1, 0x1001);
    CHECK_ST(get_sync(cl, sel, kb, CQL_IDEMPOTENT), VL_EOVERLOADED);
    close_cluster(cl);
    fake_stop(&k);
}

/* ---- heartbeats ------------------------------------------------------------------------ */

static void test_heartbeats(void) {
    fake k;
    fake_start(&k, 1);
    opts_tweak tw = {.pool_size = 1, .heartbeat_ms = 50, .request_timeout_ms = 300,
                     .connect_timeout_ms = 300};
    cql_cstmt *sel;
    cql_cluster *cl = cluster_on(k.port[0], &tw, &sel);
    cql_fault_counts n0, n1;
    cql_fault_counts_get(k.f[0], &n0);
    run_for(300);
    cql_fault_counts_get(k.f[0], &n1);
    CHECK(n1.options >= n0.options + 4); /* idle: OPTIONS on the control and pool connections */
    CHECK(node_at(cl, k.port[0]).up);
    /* Silent, connections open: the heartbeat goes unanswered and the
     * connection is replaced; the new one cannot finish its handshake. */
    cql_fault_silence(k.f[0], true);
    wait_up(cl, k.port[0], false);
    CHECK(test_log_contains("to a heartbeat"));
    cql_fault_silence(k.f[0], false);
    wait_up(cl, k.port[0], true);
    close_cluster(cl);
    fake_stop(&k);
}

/* ---- the control connection ----------------------------------------------------------- */

static void test_control_moves_and_topology_refresh(void) {
    fake k;
    fake_start(&k, 1);
    cql_cstmt *sel;
    cql_cluster *cl = cluster_on(k.port[0], NULL, &sel);
    cql_fault_counts b0, b1;
    cql_fault_counts_get(k.f[1], &b0);
    cql_fault_down(k.f[0], true); /* the contact point, holding the control connection */
    char want[96];
    snprintf(want, sizeof want, "control connection on 127.0.0.1:%u", k.port[1]);
    int64_t end = vl__mono_us() + 3000000;
    do {
        run_for(5);
        cql_fault_counts_get(k.f[1], &b1);
    } while ((!test_log_contains(want) || b1.system < b0.system + 3) && vl__mono_us() < end);
    CHECK(test_log_contains(want));
    CHECK(b1.registers == b0.registers + 1 && b1.system >= b0.system + 3); /* and read the tables */
    /* A topology event on the new control connection reads them again. */
    cql_fault_counts_get(k.f[1], &b0);
    cql_fault_event(k.f[1], "TOPOLOGY_CHANGE", "NEW_NODE", k.port[2]);
    end = vl__mono_us() + 3000000;
    do {
        run_for(20);
        cql_fault_counts_get(k.f[1], &b1);
    } while (b1.system < b0.system + 3 && vl__mono_us() < end);
    CHECK(b1.system >= b0.system + 3); /* local, peers_v2, keyspaces */
    cql_fault_down(k.f[0], false);
    close_cluster(cl);
    fake_stop(&k);
}

static void test_no_peers_v2(void) {
    cql_fault *f = cql_fault_start();
    cf_topology t = {.self = {0, "east", "r1", "0", 1}, .no_peers_v2 = true,
                     .repl_class = "NetworkTopologyStrategy", .repl_dc = "east", .rf = 1};
    cql_fault_topology(f, &t);
    cql_cstmt *sel;
    cql_cluster *cl = cluster_on(cql_fault_port(f), NULL, &sel);
    CHECK(test_log_contains("reading system.peers"));
    CHECK(test_log_contains("token-aware routing (NetworkTopologyStrategy east:1)"));
    CHECK_OK(get_sync(cl, sel, "x", 0));
    close_cluster(cl);
    cql_fault_stop(f);
}

/* ---- schema agreement ------------------------------------------------------------------- */

static void test_schema_agreement(void) {
    fake k;
    fake_start(&k, 1);
    for (int i = 0; i < 3; i++) fake_topology(&k, i, 1, 2); /* node 1 has another schema */
    cql_cstmt *sel;
    cql_cluster *cl = cluster_on(k.port[0], NULL, &sel);
    started s = {0};
    CHECK_OK(vl__cql_cluster_schema_agreement(cl, 300, on_started, &s));
    CHECK_ST(vl__cql_cluster_schema_agreement(cl, 300, on_started, &s), VL_EBUSY);
    run_until(&s.done, 3000);
    CHECK_ST(s.st, VL_ETIMEOUT);
    char want[80];
    snprintf(want, sizeof want, "127.0.0.1:%u has 02020202-0202", k.port[1]);
    CHECK(strstr(s.detail, want));
    /* The node catches up. */
    for (int i = 0; i < 3; i++) fake_topology(&k, i, 1, 1);
    memset(&s, 0, sizeof s);
    CHECK_OK(vl__cql_cluster_schema_agreement(cl, 2000, on_started, &s));
    run_until(&s.done, 3000);
    CHECK_OK(s.st);
    CHECK(strstr(s.detail, "on 3 nodes"));
    /* A node that is down is not waited for. */
    for (int i = 0; i < 3; i++) fake_topology(&k, i, 1, 3);
    cql_fault_down(k.f[1], true);
    wait_up(cl, k.port[1], false);
    memset(&s, 0, sizeof s);
    CHECK_OK(vl__cql_cluster_schema_agreement(cl, 2000, on_started, &s));
    run_until(&s.done, 3000);
    CHECK_OK(s.st);
    CHECK(strstr(s.detail, "on 2 nodes"));
    close_cluster(cl);
    fake_stop(&k);
}

/* ---- contact points ---------------------------------------------------------------------- */

static void test_unreachable_contact_points(void) {
    static const char *const cps[] = {"127.0.0.1", "127.0.0.2", "nosuch.invalid"};
    started s = {0};
    cql_cstmt *sel;
    opts_tweak tw = {.pool_size = 1, .connect_timeout_ms = 500};
    cql_cluster *cl = cluster_at(cps, 3, 1, &tw, &sel, &s); /* nothing listens on port 1 */
    CHECK_ST(s.st, VL_EUNAVAILABLE);
    CHECK(strstr(s.detail, "no contact point answered"));
    CHECK(strstr(s.detail, "127.0.0.1:1 (VL_EUNAVAILABLE: connect to 127.0.0.1:1: connection refused)"));
    CHECK(strstr(s.detail, "127.0.0.2:1"));
    CHECK(strstr(s.detail, "nosuch.invalid (cannot resolve"));
    close_cluster(cl);
    static const char *const bad[] = {"nosuch.invalid"};
    memset(&s, 0, sizeof s);
    cl = cluster_at(bad, 1, 9042, &tw, &sel, &s);
    CHECK_ST(s.st, VL_EUNAVAILABLE);
    CHECK(strstr(s.detail, "no contact point could be resolved: nosuch.invalid (cannot resolve"));
    close_cluster(cl);
}

static void test_host_name_and_pool_size(void) {
    cql_fault *f = cql_fault_start();
    static const char *const cps[] = {"localhost"};
    started s = {0};
    cql_cstmt *sel;
    opts_tweak tw = {.pool_size = 3};
    cql_cluster *cl = cluster_at(cps, 1, cql_fault_port(f), &tw, &sel, &s);
    CHECK_OK(s.st);
    CHECK(test_log_contains("contact point localhost resolved to"));
    run_for(100); /* the other two pooled connections finish their handshakes */
    cql_fault_counts n;
    cql_fault_counts_get(f, &n);
    CHECK_EQ(n.connections, 4); /* the control connection and three pooled ones */
    CHECK_OK(get_sync(cl, sel, "x", 0));
    close_cluster(cl);
    cql_fault_stop(f);
}

static void test_options_and_close(void) {
    cql_cluster_opts o;
    vl__cql_cluster_opts_init(&o);
    cql_cluster *cl;
    CHECK_ST(vl__cql_cluster_new(&loop, &o, &cl), VL_EINVAL); /* no contact point */
    const char *cps[] = {"127.0.0.1"};
    o.contact_points = cps;
    o.n_contact_points = 1;
    o.pool_size = VL_CQL_POOL_MAX + 1;
    CHECK_ST(vl__cql_cluster_new(&loop, &o, &cl), VL_EINVAL);
    o.pool_size = 1;
    o.keyspace = "";
    CHECK_ST(vl__cql_cluster_new(&loop, &o, &cl), VL_EINVAL);
    /* Close with a load outstanding: it completes VL_ECLOSED. */
    cql_fault *f = cql_fault_start();
    cql_cstmt *sel;
    cl = cluster_on(cql_fault_port(f), NULL, &sel);
    CHECK(vl__cql_cluster_statement(cl, SELECT) == NULL); /* only before the start */
    cql_fault_hang_next(f, CF_READS, 1, 0);
    reply r = {0};
    CHECK_OK(get(cl, sel, "x", CQL_IDEMPOTENT, &r));
    run_for(50);
    close_cluster(cl);
    CHECK_EQ(r.done, 1);
    CHECK_ST(r.st, VL_ECLOSED);
    cql_fault_stop(f);
}

static void on_tick(uv_timer_t *t) { (void)t; }

int main(void) {
    CHECK(uv_loop_init(&loop) == 0);
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    for (int i = 0; i < NKEYS; i++) snprintf(keys[i], sizeof keys[i], "key-%d", i);
    RUN(test_discovery_and_routing);
    RUN(test_events_down_and_up);
    RUN(test_node_goes_away);
    RUN(test_load_retried_on_next_replica);
    RUN(test_heartbeats);
    RUN(test_control_moves_and_topology_refresh);
    RUN(test_no_peers_v2);
    RUN(test_schema_agreement);
    RUN(test_unreachable_contact_points);
    RUN(test_host_name_and_pool_size);
    RUN(test_options_and_close);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    return 0;
}
