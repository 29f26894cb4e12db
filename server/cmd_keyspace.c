/*
 * cmd_keyspace.c -- the whole keyspace: SCAN, KEYS, DBSIZE, RANDOMKEY.
 *
 * Owns: each command's scan state (ks_state, freed with its op).
 * Threads: *_run and the home step on the connection's home shard; a
 * cursor's position is looked up on the shard whose table holds it (a
 * vl_post there); page callbacks run on shard threads, one page at a time
 * (the next page is asked for from the callback), and touch only the state.
 *
 * The library lists the keys page by page, the upstream's and memory's
 * merged (vl_scan, docs/scan.md); these commands only format them:
 *   SCAN       one page of COUNT keys (COUNT clamped to VL_SCAN_COUNT_MAX),
 *              MATCH applied to the page as Redis does, then TYPE by reading
 *              each key left (a second phase of parts, one per key); the
 *              next page's position becomes a cursor in the home shard's
 *              table (cursor.h), 0 at the end
 *   KEYS       every page (VL_SRV_SCAN_PAGE keys each), MATCH applied
 *   DBSIZE     every page, counted: exact, and O(keys)
 *   RANDOMKEY  pages after a random position, wrapping around to it, until
 *              VL_SRV_RANDOMKEY_SAMPLE keys were seen; one of them, drawn
 *              uniformly (reservoir sampling)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_util.h"
#include "cursor.h"

typedef enum ks_mode { KS_SCAN, KS_KEYS, KS_DBSIZE, KS_RANDOM } ks_mode;

typedef struct ks_state {
    vl_task hop;          /* SCAN: to the shard that holds the cursor */
    srv_op *op;
    ks_mode mode;
    uint64_t cursor;      /* SCAN: the client's; 0 from the start */
    uint32_t count;       /* keys per page */
    const srv_arg *match; /* MATCH's pattern (into op->argv), or NULL */
    const srv_arg *type;  /* TYPE's name, or NULL */
    bool unknown;         /* the cursor is unknown or expired */
    bool unsupported;     /* the upstream cannot list its keys */
    vl_buf keys;          /* the keys kept: a 4-byte length, then the bytes */
    uint32_t nkeys;
    uint32_t *offs;       /* TYPE: where each kept key starts in `keys` */
    uint8_t *keep;        /* TYPE: whether each kept key has the type */
    uint64_t seen;        /* DBSIZE, RANDOMKEY: keys counted */
    vl_buf next;          /* SCAN: where the next page starts */
    bool end;
    bool wrapped;         /* RANDOMKEY: started again from the beginning */
    bool have_first;
    vl_buf first;         /* RANDOMKEY: the first key after the random position */
    uint64_t rng;
} ks_state;

static void ks_free(void *ext) {
    ks_state *k = ext;
    vl_buf_free(&k->keys);
    vl_buf_free(&k->next);
    vl_buf_free(&k->first);
    free(k->offs);
    free(k->keep);
    free(k);
}

static uint64_t rand64(ks_state *k) { /* splitmix64 */
    uint64_t z = (k->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- pages ------------------------------------------------------------------ */

static void on_page(void *arg, vl_status st, const vl_scan_page *page);

static vl_status ask(ks_state *k, const void *after, size_t len) {
    return vl_scan(k->op->home->srv->svc, after, len, k->count, on_page, k);
}

/* The first page: an upstream without a scan op (VL_EINVAL) is answered
 * with an error of its own, as FLUSHALL's is. */
static vl_status ask_first(ks_state *k, const void *after, size_t len) {
    vl_status st = ask(k, after, len);
    if (st != VL_EINVAL) return st;
    k->unsupported = true;
    part_done(&k->op->parts[0]);
    return VL_OK;
}

static vl_status keep_key(ks_state *k, const void *key, size_t len) {
    uint32_t n = (uint32_t)len;
    if (vl_buf_append(&k->keys, &n, 4) != VL_OK || vl_buf_append(&k->keys, key, len) != VL_OK)
        return VL_ENOMEM;
    k->nkeys++;
    return VL_OK;
}

static bool matches(const ks_state *k, const vl_scan_key *key) {
    return !k->match || glob_match((const char *)k->match->p, k->match->len, key->key, key->len,
                                   false);
}

static bool same(const vl_buf *b, const vl_scan_key *key) {
    return b->len == key->len && (key->len == 0 || memcmp(b->data, key->key, key->len) == 0);
}

/* RANDOMKEY's page: each key is the one drawn with probability 1/seen.
 * True when the sample is complete. */
static bool random_page(ks_state *k, const vl_scan_page *page, vl_status *st) {
    for (uint32_t i = 0; i < page->count; i++) {
        const vl_scan_key *key = &page->keys[i];
        if (k->wrapped && k->have_first && same(&k->first, key)) return true; /* full circle */
        if (!k->have_first) {
            k->have_first = true;
            if ((*st = vl_buf_append(&k->first, key->key, key->len)) != VL_OK) return true;
        }
        if (rand64(k) % ++k->seen == 0) {
            k->keys.len = 0;
            k->nkeys = 0;
            if ((*st = keep_key(k, key->key, key->len)) != VL_OK) return true;
        }
        if (k->seen >= VL_SRV_RANDOMKEY_SAMPLE) return true;
    }
    return page->end && k->wrapped;
}

/* A page (on a shard thread): keeps what the command keeps, then asks for
 * the next page, or sends the op home. */
static void on_page(void *arg, vl_status st, const vl_scan_page *page) {
    ks_state *k = arg;
    srv_part *p = &k->op->parts[0];
    bool done = true;
    if (st == VL_OK && k->mode == KS_RANDOM) {
        done = random_page(k, page, &st);
        if (!done && page->end) {
            k->wrapped = true;
            if (st == VL_OK && (st = ask(k, NULL, 0)) == VL_OK) return;
        }
    } else if (st == VL_OK) {
        for (uint32_t i = 0; i < page->count && st == VL_OK; i++)
            if (k->mode != KS_DBSIZE && matches(k, &page->keys[i]))
                st = keep_key(k, page->keys[i].key, page->keys[i].len);
        k->seen += page->count;
        done = page->end || k->mode == KS_SCAN;
        k->end = page->end;
        if (k->mode == KS_SCAN && !page->end && st == VL_OK)
            st = vl_buf_append(&k->next, page->next, page->next_len);
    }
    if (st == VL_OK && !done) st = ask(k, page->next, page->next_len);
    if (st != VL_OK) part_fail(p, st);
    else if (done) part_done(p);
}

/* ---- the first page ----------------------------------------------------------- */

/* On the shard whose table holds the cursor: its position, and the page
 * after it. */
static vl_status resume(ks_state *k) {
    srv_shard *sh = srv_self();
    const uint8_t *pos;
    size_t len;
    if (!cursors_find(sh ? sh->cursors : NULL, k->cursor, &pos, &len)) {
        k->unknown = true;
        part_done(&k->op->parts[0]);
        return VL_OK;
    }
    return ask_first(k, pos, len); /* vl_scan copies the position */
}

static void hop_task(vl_task *t) {
    ks_state *k = (ks_state *)t;
    vl_status st = resume(k);
    if (st != VL_OK) part_fail(&k->op->parts[0], st);
}

static vl_status type_submit(srv_op *op, uint32_t i);

static vl_status first_page(srv_op *op, uint32_t i) {
    ks_state *k = op->ext;
    (void)i;
    if (k->mode == KS_RANDOM) {
        uint64_t r = rand64(k);
        uint8_t start[8];
        for (int b = 0; b < 8; b++) start[b] = (uint8_t)(r >> (56 - 8 * b));
        return ask_first(k, start, sizeof start);
    }
    if (k->cursor == 0) return ask_first(k, NULL, 0);
    uint32_t shard = cursor_shard(k->cursor);
    if (shard >= op->home->srv->nshards) {
        k->unknown = true;
        part_done(&op->parts[0]);
        return VL_OK;
    }
    if (shard == op->home->index) return resume(k);
    k->hop.fn = hop_task;
    return vl_post(op->home->srv->svc, shard, &k->hop);
}

/* ---- TYPE: a second phase, one read per key kept ------------------------------- */

static void type_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    ks_state *k = p->op->ext;
    if (st == VL_OK) {
        const char *t = sv_is_str(v->value) ? "string" : "hash";
        /* Redis compares the C string: up to a NUL, without case. */
        size_t n = strnlen((const char *)k->type->p, k->type->len);
        k->keep[p->idx] = n == strlen(t) && strncasecmp((const char *)k->type->p, t, n) == 0;
    } else if (st != VL_ENOTFOUND) {
        part_fail(p, st);
        return;
    }
    part_done(p);
}

static vl_status type_submit(srv_op *op, uint32_t i) {
    ks_state *k = op->ext;
    const uint8_t *at = k->keys.data + k->offs[i];
    uint32_t len;
    memcpy(&len, at, 4);
    return vl_read(op->home->srv->svc, at + 4, len, type_rd, &op->parts[i]);
}

/* Starts the reads of TYPE's phase; false if out of memory. */
static bool start_types(srv_op *op, ks_state *k) {
    k->offs = malloc(k->nkeys * sizeof *k->offs);
    k->keep = calloc(k->nkeys, 1);
    if (!k->offs || !k->keep || op_parts(op, k->nkeys) != VL_OK) return false;
    size_t at = 0;
    for (uint32_t i = 0; i < k->nkeys; i++) {
        uint32_t len;
        memcpy(&len, k->keys.data + at, 4);
        k->offs[i] = (uint32_t)at;
        at += 4 + len;
    }
    op->multi = true; /* parts on several shards: each fails into op->err */
    op->phase = 1;
    op->submit = type_submit;
    return true;
}

/* ---- home: the reply ------------------------------------------------------------ */

static void write_keys(vl_buf *b, const ks_state *k) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < k->nkeys; i++) n += !k->keep || k->keep[i];
    (void)vl_resp_write_array(b, n);
    size_t at = 0;
    for (uint32_t i = 0; i < k->nkeys; i++) {
        uint32_t len;
        memcpy(&len, k->keys.data + at, 4);
        if (!k->keep || k->keep[i]) (void)vl_resp_write_bulk(b, k->keys.data + at + 4, len);
        at += 4 + len;
    }
}

static srv_cursors *home_cursors(srv_shard *sh) {
    if (!sh->cursors) sh->cursors = cursors_new((uint64_t)vl_time_ms() * 0x9e3779b97f4a7c15ull ^
                                                (uintptr_t)sh);
    return sh->cursors;
}

static bool ks_home(srv_op *op) {
    ks_state *k = op->ext;
    vl_buf *b = &op->reply;
    b->len = 0;
    if (k->unknown) {
        reply_error(b, "ERR vellir: unknown or expired cursor; start the scan again with cursor 0");
        return true;
    }
    if (k->unsupported) {
        static const char *const names[] = {"SCAN", "KEYS", "DBSIZE", "RANDOMKEY"};
        reply_errorf(b, "ERR %s is not supported by this server's upstream (%s)", names[k->mode],
                     srv_upstream_name(&op->home->srv->cfg));
        return true;
    }
    if (k->mode == KS_SCAN && k->type && op->phase == 0 && k->nkeys > 0) {
        if (start_types(op, k)) return false; /* TYPE: read each key, then here again */
        reply_status_error(b, VL_ENOMEM);
        return true;
    }
    switch (k->mode) {
    case KS_SCAN: {
        uint64_t next = 0;
        srv_cursors *t = k->end ? NULL : home_cursors(op->home);
        if (!k->end && (!t || !(next = cursors_mint(t, op->home->index, k->next.data,
                                                     k->next.len)))) {
            reply_status_error(b, VL_ENOMEM);
            return true;
        }
        char text[24];
        int n = snprintf(text, sizeof text, "%llu", (unsigned long long)next);
        (void)vl_resp_write_array(b, 2);
        (void)vl_resp_write_bulk(b, text, (size_t)n);
        write_keys(b, k);
        break;
    }
    case KS_KEYS:
        write_keys(b, k);
        break;
    case KS_DBSIZE:
        (void)vl_resp_write_int(b, (long long)k->seen);
        break;
    case KS_RANDOM:
        if (k->nkeys) (void)vl_resp_write_bulk(b, k->keys.data + 4, k->keys.len - 4);
        else (void)vl_resp_write_null(b, op->proto);
        break;
    }
    return true;
}

/* ---- the commands ----------------------------------------------------------------- */

/* Starts the command's op; `match` and `type` are argv indexes (0: none),
 * which the op's copy of the arguments (without argv[0]) keeps. */
static void ks_start(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                     ks_state *k, size_t match, size_t type) {
    srv_op *op = new_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, NULL});
    if (!op) {
        ks_free(k);
        return;
    }
    k->op = op;
    k->match = match ? &op->argv[match - 1] : NULL;
    k->type = type ? &op->argv[type - 1] : NULL;
    k->rng = (uint64_t)vl_time_ms() ^ ((uint64_t)(uintptr_t)k << 16) ^ c->id;
    op->ext = k;
    op->ext_free = ks_free;
    op->submit = first_page;
    op->multi = true; /* a failure goes to op->err, which the home step answers */
    op_start(op);
}

static ks_state *ks_new(srv_conn *c, ks_mode mode, uint32_t count) {
    ks_state *k = calloc(1, sizeof *k);
    if (!k) {
        reply_status_error(conn_reply_buf(c), VL_ENOMEM);
        return NULL;
    }
    k->mode = mode;
    k->count = count;
    return k;
}

static void scan_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    uint64_t cursor;
    if (!scan_cursor_parse(argv[1].p, argv[1].len, &cursor)) {
        reply_error(conn_reply_buf(c), "ERR invalid cursor");
        return;
    }
    scan_opts o;
    scan_opts_parse(argv, argc, 2, true, &o);
    if (o.error) {
        scan_opts_error(conn_reply_buf(c), &o);
        return;
    }
    uint32_t count = o.count > VL_SCAN_COUNT_MAX ? VL_SCAN_COUNT_MAX : (uint32_t)o.count;
    ks_state *k = ks_new(c, KS_SCAN, count);
    if (!k) return;
    k->cursor = cursor;
    ks_start(c, cmd, argv, argc, k, o.match, o.type);
}

static void keys_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    bool all = argv[1].len == 1 && argv[1].p[0] == '*'; /* Redis matches nothing then */
    ks_state *k = ks_new(c, KS_KEYS, VL_SRV_SCAN_PAGE);
    if (k) ks_start(c, cmd, argv, argc, k, all ? 0 : 1, 0);
}

static void dbsize_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    ks_state *k = ks_new(c, KS_DBSIZE, VL_SRV_SCAN_PAGE);
    if (k) ks_start(c, cmd, argv, argc, k, 0, 0);
}

static void randomkey_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                          size_t argc) {
    ks_state *k = ks_new(c, KS_RANDOM, VL_SRV_SCAN_PAGE);
    if (k) ks_start(c, cmd, argv, argc, k, 0, 0);
}

/* ---- the table ------------------------------------------------------------------------ */

/* A row of a keyspace command: no keys, and ks_home builds the reply. */
#define KS_CMD(n, a, fn, fl, acl, tips, grp, since, cx, sum) \
    {n, a, 0, 0, 0, 0, fn, ks_home, fl, acl, tips, "", grp, since, cx, sum, NULL}

const srv_cmd cmd_keyspace_table[] = {
    KS_CMD("scan", -2, scan_run, "readonly", "@keyspace,@read,@slow",
           "nondeterministic_output,request_policy:special,response_policy:special", "generic",
           "2.8.0", "O(1) for every call. O(N) for a complete iteration.",
           "Iterates over the keys, stored and in memory, with a cursor."),
    KS_CMD("keys", 2, keys_run, "readonly", "@keyspace,@read,@slow,@dangerous",
           "request_policy:all_shards,nondeterministic_output_order", "generic", "1.0.0",
           "O(N) with N being the number of keys in the database",
           "Returns every key that matches a pattern."),
    KS_CMD("randomkey", 1, randomkey_run, "readonly", "@keyspace,@read,@slow",
           "request_policy:all_shards,response_policy:special,nondeterministic_output",
           "generic", "1.0.0", "O(1)", "Returns a random key."),
    KS_CMD("dbsize", 1, dbsize_run, "readonly,fast", "@keyspace,@read,@fast",
           "request_policy:all_shards,response_policy:agg_sum", "server", "1.0.0",
           "O(N) with N the number of keys (a full scan in vellir)",
           "Returns the number of keys, stored and in memory."),
    SRV_CMD_END,
};
