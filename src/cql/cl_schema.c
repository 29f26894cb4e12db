/*
 * cl_schema.c -- schema agreement (cluster.h): after a schema change, wait
 * until every node that is up reports the control node's schema_version.
 *
 * Owns: one wait at a time (cql_cluster's agree_* fields, schema_timer).
 * Threads: the loop's.
 *
 * Each poll reads system.local's schema_version, then every row of
 * system.peers_v2 (or system.peers) on the control connection. A peer is
 * compared unless its node is known and down (the server's DOWN event, or
 * every connection to it backing off): a node that is down cannot agree,
 * and waiting for it would only run into the timeout. A peer whose
 * schema_version is null (still joining) is skipped as well.
 */
#include <stdio.h>

#include "cql/cluster_int.h"
#include "cql/topo.h"
#include "util/clock.h"

static void poll_schema(cql_cluster *cl);

static void finish(cql_cluster *cl, vl_status st, const char *detail) {
    cql_cluster_done_cb cb = cl->agree_cb;
    void *arg = cl->agree_arg;
    cl->agree_cb = NULL;
    uv_timer_stop(&cl->schema_timer);
    if (cb) cb(arg, st, detail);
}

static void on_schema_timer(uv_timer_t *t) { poll_schema(t->data); }

/* Not yet: again after VL_CQL_SCHEMA_POLL_MS, or the end at the deadline. */
static void again(cql_cluster *cl, vl_status st, const char *why) {
    if (vl__mono_us() >= cl->agree_deadline_us) {
        char msg[512];
        snprintf(msg, sizeof msg, "no schema agreement within %lld ms: %s",
                 (long long)(cl->agree_deadline_us - cl->agree_t0_us) / 1000, why);
        finish(cl, st, msg);
        return;
    }
    uv_timer_start(&cl->schema_timer, on_schema_timer, VL_CQL_SCHEMA_POLL_MS, 0);
}

static void uuid_text(const uint8_t u[16], char out[37]) {
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
        out[k++] = hex[u[i] >> 4];
        out[k++] = hex[u[i] & 15];
    }
    out[k] = 0;
}

static void on_peer_versions(void *arg, vl_status st, const cql_response *r) {
    cql_cluster *cl = arg;
    if (cl->closing || !cl->agree_cb) return;
    if (st != VL_OK) {
        again(cl, st, "system.peers cannot be read");
        return;
    }
    cql_topo_iter it;
    cql_node_row row;
    bool got = true;
    uint32_t compared = 1, differ = 0;
    char why[400] = "", mine[37], theirs[37];
    uuid_text(cl->agree_local, mine);
    cql_err e = vl__cql_topo_open(&r->result, cl->peers_v1 ? CQL_TOPO_PEERS : CQL_TOPO_PEERS_V2, &it);
    while (e == CQL_OK && got) {
        e = vl__cql_topo_next(&it, &row, &got);
        if (e != CQL_OK || !got || !row.has_addr || !row.has_schema) continue;
        struct sockaddr_storage a = row.addr;
        vl__cl_default_port(cl, &a);
        const cl_node *n = vl__cl_node_find(cl, &a);
        if (n && !vl__cl_node_usable(n)) continue;
        compared++;
        if (memcmp(row.schema, cl->agree_local, 16) == 0) continue;
        differ++;
        char name[64];
        size_t len = strlen(why);
        vl__cl_addr_name(&a, name, sizeof name);
        uuid_text(row.schema, theirs);
        snprintf(why + len, sizeof why - len, "%s%s has %s", len ? ", " : "", name, theirs);
    }
    if (e != CQL_OK) {
        again(cl, VL_EUPSTREAM, "system.peers cannot be decoded");
        return;
    }
    if (differ) {
        char msg[512];
        snprintf(msg, sizeof msg, "the control node has %s, %s", mine, why);
        again(cl, VL_ETIMEOUT, msg);
        return;
    }
    char msg[160];
    snprintf(msg, sizeof msg, "schema agreement (%s) on %u nodes in %lld ms", mine, compared,
             (long long)(vl__mono_us() - cl->agree_t0_us) / 1000);
    finish(cl, VL_OK, msg);
}

static void on_local_version(void *arg, vl_status st, const cql_response *r) {
    cql_cluster *cl = arg;
    if (cl->closing || !cl->agree_cb) return;
    if (st != VL_OK) {
        again(cl, st, "system.local cannot be read");
        return;
    }
    cql_node_row row;
    cql_err e = vl__cql_topo_first(&r->result, CQL_TOPO_LOCAL, &row);
    if (e != CQL_OK || !row.has_schema) {
        again(cl, VL_EUPSTREAM, "system.local has no schema_version");
        return;
    }
    memcpy(cl->agree_local, row.schema, 16);
    cql_params p = {.consistency = CQL_ONE};
    st = vl__cql_conn_query(cl->control,
                            cl->peers_v1 ? "SELECT * FROM system.peers" : "SELECT * FROM system.peers_v2",
                            &p, on_peer_versions, cl);
    if (st != VL_OK) again(cl, st, "system.peers cannot be asked");
}

static void poll_schema(cql_cluster *cl) {
    if (cl->closing || !cl->agree_cb) return;
    if (!cl->control_ready) {
        again(cl, VL_EUNAVAILABLE, "no control connection");
        return;
    }
    cql_params p = {.consistency = CQL_ONE};
    vl_status st = vl__cql_conn_query(cl->control,
                                      "SELECT schema_version FROM system.local WHERE key = 'local'",
                                      &p, on_local_version, cl);
    if (st != VL_OK) again(cl, st, "system.local cannot be asked");
}

vl_status vl__cl_schema_agreement(cql_cluster *cl, uint32_t timeout_ms, cql_cluster_done_cb done,
                                  void *arg) {
    if (cl->agree_cb) return VL_EBUSY; /* one wait at a time */
    cl->agree_cb = done;
    cl->agree_arg = arg;
    cl->agree_t0_us = vl__mono_us();
    cl->agree_deadline_us = cl->agree_t0_us + (int64_t)timeout_ms * 1000;
    uv_timer_start(&cl->schema_timer, on_schema_timer, 0, 0);
    return VL_OK;
}
