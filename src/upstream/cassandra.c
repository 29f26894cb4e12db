/*
 * cassandra.c -- the Cassandra / ScyllaDB upstream of vellir_cassandra.h:
 * its options, the factory, and the per-node counters. A shard's instance
 * (loads, commits, truncate) is cass_shard.c, on the cluster client of
 * src/cql/cluster.h; `create` is cass_schema.c.
 *
 * Owns: the options table and the factory context (cass_int.h's cass_ctx:
 * the options, the contact points, the statement texts).
 * Threads: vl_cassandra_upstream and vl_cassandra_node_stats from any
 * thread; the context is read-only once made (but for its two mutexed
 * parts, see cass_int.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "upstream/cass_int.h"
#include "util/options.h"

/* ---- options ------------------------------------------------------------------ */

#define U32(f, zero, def, min, max, why) \
    VL_OPT_NUM(vl_cassandra_options, f, OPT_U32, zero, def, min, max, why)
_Static_assert(sizeof(vl_cassandra_key) == sizeof(uint32_t), "key_type is a 32-bit row");
_Static_assert(sizeof(vl_cassandra_consistency) == sizeof(uint32_t), "a 32-bit row");

static const vl_opt_row options_table[] = {
    VL_OPT_STR(vl_cassandra_options, host, "127.0.0.1",
               "contact points: host names or addresses, comma-separated"),
    VL_OPT_NUM(vl_cassandra_options, port, OPT_U16, OPT_ZERO_DEFAULT, 9042, 1, 65535,
               "the native protocol's port, on every node"),
    VL_OPT_STR(vl_cassandra_options, table, "vellir", "table name: a plain identifier"),
    U32(key_type, OPT_ZERO_VALUE, VL_CASSANDRA_KEY_BLOB, VL_CASSANDRA_KEY_BLOB,
        VL_CASSANDRA_KEY_TEXT, "a vl_cassandra_key"),
    U32(consistency, OPT_ZERO_VALUE, VL_CASSANDRA_LOCAL_QUORUM, 0, VL_CASSANDRA_LOCAL_ONE,
        "a vl_cassandra_consistency, not a SERIAL one"),
    U32(read_consistency, OPT_ZERO_VALUE, VL_CASSANDRA_INHERIT, 0, VL_CASSANDRA_INHERIT,
        "of loads: a vl_cassandra_consistency, or VL_CASSANDRA_INHERIT (`consistency`)"),
    U32(write_consistency, OPT_ZERO_VALUE, VL_CASSANDRA_INHERIT, 0, VL_CASSANDRA_INHERIT,
        "of commits: a vl_cassandra_consistency, or VL_CASSANDRA_INHERIT (`consistency`)"),
    VL_OPT_STR(vl_cassandra_options, local_dc, NULL,
               "the datacenter to prefer; NULL: that of the first node reached"),
    VL_OPT_BOOL(vl_cassandra_options, create, false, "create the keyspace and table if missing"),
    U32(replication_factor, OPT_ZERO_DEFAULT, 1, 1, UINT32_MAX,
        "of a keyspace vellir creates, in the local datacenter"),
    U32(connect_timeout_ms, OPT_ZERO_DEFAULT, VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT, 1, UINT32_MAX,
        "a connection attempt gives up after this long"),
    U32(request_timeout_ms, OPT_ZERO_DEFAULT, VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT, 1, UINT32_MAX,
        "a request unanswered this long fails VL_ETIMEOUT"),
    U32(inflight, OPT_ZERO_DEFAULT, VL_CQL_INFLIGHT_DEFAULT, 1, VL_CQL_STREAMS_MAX,
        "requests on the wire per connection (stream ids)"),
    U32(pool_size, OPT_ZERO_DEFAULT, VL_CQL_POOL_DEFAULT, 1, VL_CQL_POOL_MAX,
        "connections per node per shard"),
    U32(heartbeat_ms, OPT_ZERO_DEFAULT, VL_CQL_HEARTBEAT_MS_DEFAULT, 10, UINT32_MAX,
        "OPTIONS on a connection idle this long; UINT32_MAX: none"),
    U32(schema_agreement_ms, OPT_ZERO_DEFAULT, VL_CQL_SCHEMA_AGREEMENT_MS_DEFAULT, 1, UINT32_MAX,
        "the longest wait for schema agreement after create"),
};

#define NROWS (sizeof options_table / sizeof options_table[0])

void vl_cassandra_options_init(vl_cassandra_options *o) {
    memset(o, 0, sizeof *o);
    vl__opt_defaults(options_table, NROWS, o);
}

static bool name_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > VL_CASSANDRA_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return false;
    }
    return true;
}

static bool level_ok(uint32_t c) {
    return c <= VL_CASSANDRA_EACH_QUORUM || c == VL_CASSANDRA_LOCAL_ONE;
}

static uint32_t effective(uint32_t level, uint32_t dflt) {
    return level == VL_CASSANDRA_INHERIT ? dflt : level;
}

static bool host_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '-' || ch == ':' || ch == '_' || ch == '%';
}

/* Splits "a, b,c" into ctx->cp_buf (NUL-separated) and ctx->cps. VL_EINVAL
 * for no entry, an empty or over-long one, one with a character no host
 * name or address has, or too many; VL_ENOMEM. */
static vl_status split_hosts(cass_ctx *ctx, const char *host) {
    if (!host) return VL_EINVAL;
    ctx->cp_buf = strdup(host);
    if (!ctx->cp_buf) return VL_ENOMEM;
    char *p = ctx->cp_buf;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        char *start = p, *end;
        while (*p && *p != ',') p++;
        bool last = *p == '\0';
        for (end = p; end > start && (end[-1] == ' ' || end[-1] == '\t');) end--;
        *end = '\0';
        size_t n = (size_t)(end - start);
        if (n == 0 || n > VL_CQL_HOST_NAME_MAX || ctx->n_cps == VL_CQL_CONTACT_POINTS_MAX)
            return VL_EINVAL;
        for (size_t i = 0; i < n; i++)
            if (!host_char(start[i])) return VL_EINVAL;
        ctx->cps[ctx->n_cps++] = start;
        if (last) return VL_OK;
        p++;
    }
}

/* Fills the defaults into `o` (a copy) and checks it. */
static vl_status check_options(vl_cassandra_options *o) {
    if (!vl__opt_check(options_table, NROWS, o, NULL, 0)) return VL_EINVAL;
    if (!name_ok(o->keyspace) || !name_ok(o->table)) return VL_EINVAL;
    uint32_t c = (uint32_t)o->consistency;
    uint32_t r = (uint32_t)o->read_consistency, w = (uint32_t)o->write_consistency;
    if (!level_ok(c)) return VL_EINVAL;
    if ((r != VL_CASSANDRA_INHERIT && !level_ok(r)) || (w != VL_CASSANDRA_INHERIT && !level_ok(w)))
        return VL_EINVAL;
    if (effective(r, c) == VL_CASSANDRA_ANY) return VL_EINVAL; /* Cassandra refuses reads at ANY */
    if (o->local_dc && (!o->local_dc[0] || strlen(o->local_dc) > VL_CQL_DC_NAME_MAX))
        return VL_EINVAL;
    if ((o->user == NULL) != (o->password == NULL)) return VL_EINVAL;
    return VL_OK;
}

static void ctx_free(void *p) {
    cass_ctx *c = p;
    if (!c) return;
    free(c->host);
    free(c->keyspace);
    free(c->table);
    free(c->user);
    free(c->password);
    free(c->local_dc);
    free(c->cp_buf);
    free(c->reg);
    pthread_mutex_destroy(&c->schema_mu);
    pthread_mutex_destroy(&c->reg_mu);
    free(c);
}

static void build_queries(cass_ctx *c) {
    const char *ks = c->keyspace, *t = c->table;
    snprintf(c->q_select, CASS_Q_MAX, "SELECT value, TTL(value) FROM \"%s\".\"%s\" WHERE key = ?", ks, t);
    snprintf(c->q_insert, CASS_Q_MAX,
             "INSERT INTO \"%s\".\"%s\" (key, value) VALUES (?, ?) USING TTL ? AND TIMESTAMP ?", ks, t);
    snprintf(c->q_delete, CASS_Q_MAX, "DELETE FROM \"%s\".\"%s\" USING TIMESTAMP ? WHERE key = ?", ks, t);
    snprintf(c->q_table, CASS_Q_MAX,
             "CREATE TABLE IF NOT EXISTS \"%s\".\"%s\" (key %s PRIMARY KEY, value blob)", ks, t,
             c->o.key_type == VL_CASSANDRA_KEY_TEXT ? "text" : "blob");
    snprintf(c->q_truncate, CASS_Q_MAX, "TRUNCATE \"%s\".\"%s\"", ks, t);
}

static char *sdup(const char *s, bool *oom) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = true;
    return d;
}

vl_status vl_cassandra_upstream(const vl_cassandra_options *opts, vl_upstream *out) {
    if (!opts || !out) return VL_EINVAL;
    vl_cassandra_options checked = *opts, *o = &checked;
    vl_status st = check_options(o);
    if (st != VL_OK) return st;
    cass_ctx *c = calloc(1, sizeof *c);
    if (!c) return VL_ENOMEM;
    pthread_mutex_init(&c->schema_mu, NULL);
    pthread_mutex_init(&c->reg_mu, NULL);
    c->o = *o;
    st = split_hosts(c, o->host);
    bool oom = false;
    c->host = sdup(o->host, &oom);
    c->keyspace = sdup(o->keyspace, &oom);
    c->table = sdup(o->table, &oom);
    c->user = sdup(o->user, &oom);
    c->password = sdup(o->password, &oom);
    c->local_dc = sdup(o->local_dc, &oom);
    if (st == VL_OK && oom) st = VL_ENOMEM;
    if (st != VL_OK) {
        ctx_free(c);
        return st;
    }
    c->o.host = c->host;
    c->o.keyspace = c->keyspace;
    c->o.table = c->table;
    c->o.user = c->user;
    c->o.password = c->password;
    c->o.local_dc = c->local_dc;
    c->read_cl = (uint16_t)effective((uint32_t)o->read_consistency, (uint32_t)o->consistency);
    c->write_cl = (uint16_t)effective((uint32_t)o->write_consistency, (uint32_t)o->consistency);
    build_queries(c);
    out->ops = &vl__cass_ops;
    out->ctx = c;
    out->release = ctx_free;
    return VL_OK;
}

uint32_t vl_cassandra_node_stats(const vl_upstream *up, vl_cassandra_node *out, uint32_t cap) {
    if (!up || up->ops != &vl__cass_ops || !up->ctx || (cap && !out)) return 0;
    return vl__cass_node_stats(up->ctx, out, cap);
}
