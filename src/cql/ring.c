/*
 * ring.c -- the token ring and each token's replicas (ring.h).
 *
 * Owns: cql_ring's arrays. Threads: pure; the builder's thread.
 *
 * Building: every node's tokens are sorted into one ring; then, for each
 * ring token, the ring is walked from it and the keyspace's strategy picks
 * the replicas (ring.h says how). The result is a table, width slots per
 * token, so a request's routing is one binary search and no walk. The walk
 * usually stops after a few tokens; its worst case is a whole turn per
 * token (a datacenter whose last rack is far along the ring), so a build is
 * O(tokens x walk), once per topology change.
 */
#include <stdlib.h>
#include <string.h>

#include "cql/ring.h"

typedef struct entry {
    int64_t token;
    uint16_t node;
} entry;

static int cmp_entry(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->token != y->token) return x->token < y->token ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node; /* stable: the first node wins */
}

/* What the walk needs to know about each node. */
typedef struct node_info {
    int dc;    /* index into the replication's dcs, or -1 */
    int rack;  /* interned (dc, rack) pair */
    bool local;
    bool in_ring;
} node_info;

typedef struct dc_state {
    int rf_left, repeats_left;
    uint32_t nodes, racks;
} dc_state;

static void ring_clear(cql_ring *r) { memset(r, 0, sizeof *r); }

void vl__cql_ring_free(cql_ring *r) {
    free(r->tokens);
    free(r->owner);
    free(r->replicas);
    free(r->count);
    ring_clear(r);
}

static bool str_eq(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* Interns racks by (dc, rack) and fills each node's datacenter. */
static void classify(const cql_ring_node *nodes, uint32_t n, const cql_replication *r,
                     const char *local_dc, node_info *info, dc_state *dcs) {
    for (uint32_t i = 0; i < n; i++) {
        node_info *ni = &info[i];
        ni->dc = -1;
        ni->rack = (int)i;
        ni->local = local_dc && str_eq(nodes[i].dc, local_dc);
        ni->in_ring = !nodes[i].skip && nodes[i].n_tokens > 0;
        if (r->cls == CQL_REPL_NTS)
            for (uint32_t d = 0; d < r->n_dcs; d++)
                if (str_eq(nodes[i].dc, r->dcs[d].name)) ni->dc = (int)d;
        for (uint32_t j = 0; j < i; j++)
            if (str_eq(nodes[j].dc, nodes[i].dc) && str_eq(nodes[j].rack, nodes[i].rack)) {
                ni->rack = info[j].rack;
                break;
            }
        if (!ni->in_ring || ni->dc < 0) continue;
        dcs[ni->dc].nodes++;
        if (ni->rack == (int)i) dcs[ni->dc].racks++;
    }
}

static bool has(const uint16_t *list, uint32_t n, uint16_t v) {
    for (uint32_t i = 0; i < n; i++)
        if (list[i] == v) return true;
    return false;
}

/* The replicas of ring position `at`, in ring order, into `out` (at most
 * `cap`); returns how many. */
static uint32_t walk(const cql_ring *ring, uint32_t at, const cql_replication *r,
                     const node_info *info, const dc_state *dcs0, uint32_t cap, uint16_t *out,
                     bool *rack_seen, uint32_t n_nodes) {
    uint32_t got = 0;
    if (r->cls == CQL_REPL_SIMPLE) {
        for (uint32_t k = 0; k < ring->n && got < r->rf && got < cap; k++) {
            uint16_t node = ring->owner[(at + k) % ring->n];
            if (!has(out, got, node)) out[got++] = node;
        }
        return got;
    }
    dc_state dcs[VL_CQL_REPL_DCS_MAX];
    int to_fill = 0;
    for (uint32_t d = 0; d < r->n_dcs; d++) {
        dcs[d] = dcs0[d];
        uint32_t rf = r->dcs[d].rf;
        dcs[d].rf_left = (int)(rf < dcs[d].nodes ? rf : dcs[d].nodes);
        dcs[d].repeats_left = (int)rf - (int)dcs[d].racks;
        if (dcs[d].rf_left > 0) to_fill++;
    }
    memset(rack_seen, 0, n_nodes * sizeof *rack_seen);
    for (uint32_t k = 0; k < ring->n && to_fill > 0 && got < cap; k++) {
        uint16_t node = ring->owner[(at + k) % ring->n];
        const node_info *ni = &info[node];
        if (ni->dc < 0) continue;
        dc_state *ds = &dcs[ni->dc];
        if (ds->rf_left == 0 || has(out, got, node)) continue;
        if (!rack_seen[ni->rack]) {
            rack_seen[ni->rack] = true;
        } else if (ds->repeats_left > 0) {
            ds->repeats_left--;
        } else {
            continue; /* racks not yet used remain: no repeat */
        }
        out[got++] = node;
        if (--ds->rf_left == 0) to_fill--;
    }
    return got;
}

static uint32_t width_of(const cql_replication *r, const dc_state *dcs, uint32_t ring_nodes) {
    uint64_t w = 0;
    if (r->cls == CQL_REPL_SIMPLE) w = r->rf < ring_nodes ? r->rf : ring_nodes;
    if (r->cls == CQL_REPL_NTS)
        for (uint32_t d = 0; d < r->n_dcs; d++) w += r->dcs[d].rf < dcs[d].nodes ? r->dcs[d].rf : dcs[d].nodes;
    return w > VL_CQL_REPLICAS_MAX ? VL_CQL_REPLICAS_MAX : (uint32_t)w;
}

/* Local datacenter's replicas first, each group keeping ring order. */
static void local_first(uint16_t *list, uint32_t n, const node_info *info) {
    uint16_t tmp[VL_CQL_REPLICAS_MAX];
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (info[list[i]].local) tmp[k++] = list[i];
    for (uint32_t i = 0; i < n; i++)
        if (!info[list[i]].local) tmp[k++] = list[i];
    memcpy(list, tmp, n * sizeof *list);
}

static vl_status fill_tokens(cql_ring *out, const cql_ring_node *nodes, uint32_t n_nodes,
                             const node_info *info) {
    size_t total = 0;
    for (uint32_t i = 0; i < n_nodes; i++)
        if (info[i].in_ring) total += nodes[i].n_tokens;
    if (total > UINT32_MAX / 2) return VL_EINVAL;
    entry *e = malloc((total ? total : 1) * sizeof *e);
    if (!e) return VL_ENOMEM;
    size_t k = 0;
    for (uint32_t i = 0; i < n_nodes; i++)
        for (uint32_t t = 0; info[i].in_ring && t < nodes[i].n_tokens; t++)
            e[k++] = (entry){nodes[i].tokens[t], (uint16_t)i};
    qsort(e, total, sizeof *e, cmp_entry);
    out->tokens = malloc((total ? total : 1) * sizeof *out->tokens);
    out->owner = malloc((total ? total : 1) * sizeof *out->owner);
    if (!out->tokens || !out->owner) {
        free(e);
        return VL_ENOMEM;
    }
    uint32_t n = 0;
    for (size_t i = 0; i < total; i++) {
        if (n > 0 && out->tokens[n - 1] == e[i].token) continue; /* the first claim wins */
        out->tokens[n] = e[i].token;
        out->owner[n++] = e[i].node;
    }
    out->n = n;
    free(e);
    return VL_OK;
}

vl_status vl__cql_ring_build(cql_ring *out, const cql_ring_node *nodes, uint32_t n_nodes,
                             const cql_replication *r, const char *local_dc) {
    ring_clear(out);
    if (n_nodes > VL_CQL_NODES_MAX || (r->cls == CQL_REPL_NTS && r->n_dcs > VL_CQL_REPL_DCS_MAX))
        return VL_EINVAL;
    node_info info[VL_CQL_NODES_MAX];
    bool rack_seen[VL_CQL_NODES_MAX];
    dc_state dcs[VL_CQL_REPL_DCS_MAX];
    memset(dcs, 0, sizeof dcs);
    classify(nodes, n_nodes, r, local_dc, info, dcs);
    vl_status st = fill_tokens(out, nodes, n_nodes, info);
    if (st != VL_OK) {
        vl__cql_ring_free(out);
        return st;
    }
    uint32_t ring_nodes = 0;
    for (uint32_t i = 0; i < n_nodes; i++) ring_nodes += info[i].in_ring;
    out->width = out->n ? width_of(r, dcs, ring_nodes) : 0;
    size_t slots = (size_t)out->n * out->width;
    out->replicas = malloc((slots ? slots : 1) * sizeof *out->replicas);
    out->count = calloc(out->n ? out->n : 1, 1);
    if (!out->replicas || !out->count) {
        vl__cql_ring_free(out);
        return VL_ENOMEM;
    }
    for (uint32_t i = 0; i < out->n && out->width > 0; i++) {
        uint16_t *list = &out->replicas[(size_t)i * out->width];
        uint32_t got = walk(out, i, r, info, dcs, out->width, list, rack_seen, n_nodes);
        local_first(list, got, info);
        out->count[i] = (uint8_t)got;
    }
    return VL_OK;
}

uint32_t vl__cql_ring_find(const cql_ring *r, int64_t token) {
    uint32_t lo = 0, hi = r->n; /* the first index whose token >= token */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->tokens[mid] < token) lo = mid + 1;
        else hi = mid;
    }
    return lo == r->n ? 0 : lo;
}

uint32_t vl__cql_ring_replicas(const cql_ring *r, int64_t token, const uint16_t **out) {
    if (r->n == 0 || r->width == 0) {
        *out = NULL;
        return 0;
    }
    uint32_t i = vl__cql_ring_find(r, token);
    *out = &r->replicas[(size_t)i * r->width];
    return r->count[i];
}
