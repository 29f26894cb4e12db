/*
 * cmd_hash.c -- the hash commands: HSET, HSETNX, HGET, HMGET, HMSET,
 * HGETALL, HDEL, HEXISTS, HLEN, HKEYS, HVALS, HINCRBY, HINCRBYFLOAT, HSTRLEN,
 * HSCAN.
 *
 * Owns: nothing global. Threads: *_run on the connection's home shard;
 * read callbacks and write functions on the key's shard.
 *
 * A hash value is an sv_hash (vhash.h) in insertion order. A write that
 * removes its last field deletes the key, as in Redis. A write that would
 * make the hash's encoding larger than the server's largest value is
 * refused whole.
 */
#include <math.h>
#include <string.h>

#include "cmd_util.h"
#include "cursor.h"

/* The hash of a write: NULL after replying WRONGTYPE (or out of memory).
 * With `create`, an absent key gets a new empty hash (*created set). */
static sv_hash *write_hash(vl_mut *m, vl_buf *b, bool create, bool *created) {
    *created = false;
    if (m->present) {
        sv_value *v = m->value;
        if (v->kind != SV_HASH) {
            reply_wrongtype(b);
            return NULL;
        }
        return v->u.h;
    }
    if (!create) return NULL;
    sv_hash *h = vh_new();
    if (!h) {
        (void)fail_nomem(b);
        return NULL;
    }
    *created = true;
    return h;
}

/* Makes a hash created by write_hash the key's value. */
static void adopt_hash(vl_mut *m, sv_hash *h) {
    sv_set_hash(m->value, h);
    m->present = true;
    sv_count_created();
}

/* The hash of a read, or NULL (absent, or WRONGTYPE replied: *wrong). */
static const sv_hash *read_hash(vl_status st, const vl_view *v, vl_buf *b, bool *wrong) {
    *wrong = false;
    if (st != VL_OK) return NULL;
    const sv_value *x = v->value;
    if (x->kind != SV_HASH) {
        reply_wrongtype(b);
        *wrong = true;
        return NULL;
    }
    return x->u.h;
}

/* A read callback's failure other than "absent": the part fails. */
#define READ_FAILED(st) ((st) != VL_OK && (st) != VL_ENOTFOUND)

/* ---- HSET, HMSET, HSETNX ------------------------------------------------------------ */

#define F_HMSET 1u
#define F_HSETNX 2u

static bool fits_after(const srv_op *op, const sv_hash *h) {
    uint64_t enc = vh_enc(h) + 9; /* the map head may grow */
    for (uint32_t i = 1; i + 1 < op->argc; i += 2)
        enc += vh_cbor_head(op->argv[i].len) + op->argv[i].len + vh_cbor_head(op->argv[i + 1].len) +
               op->argv[i + 1].len;
    return enc <= op->home->srv->cfg.value_max;
}

static vl_policy hset_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    bool created;
    sv_hash *h = write_hash(m, b, true, &created);
    if (!h) return vl_noop();
    if ((op->flags & F_HSETNX) && vh_get(h, op->argv[1].p, op->argv[1].len)) {
        (void)vl_resp_write_int(b, 0);
        return vl_noop(); /* the key exists, so nothing was created */
    }
    if (!fits_after(op, h)) {
        if (created) vh_free(h);
        reply_error(b, "ERR hash exceeds the largest value this server stores (--max-value)");
        return vl_noop();
    }
    long long added = 0;
    for (uint32_t i = 1; i + 1 < op->argc; i += 2) {
        int r = vh_set(h, op->argv[i].p, op->argv[i].len, op->argv[i + 1].p, op->argv[i + 1].len);
        if (r < 0) break; /* out of memory: keep what was set, report it */
        added += r;
    }
    if (created) {
        if (vh_count(h) == 0) {
            vh_free(h);
            return fail_nomem(b);
        }
        adopt_hash(m, h);
    }
    if (op->flags & F_HMSET) reply_ok(b);
    else (void)vl_resp_write_int(b, added);
    return op->policy;
}

static void hset_common(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                        uint32_t f) {
    if (argc % 2 == 1) {
        reply_arity(conn_reply_buf(c), cmd->name);
        return;
    }
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, hset_wr}, 0, 0, f);
}

static void hset_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    hset_common(c, cmd, argv, argc, 0);
}
static void hmset_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    hset_common(c, cmd, argv, argc, F_HMSET);
}
static void hsetnx_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    hset_common(c, cmd, argv, argc, F_HSETNX);
}

/* ---- HDEL ------------------------------------------------------------------------------ */

static vl_policy hdel_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    bool created;
    sv_hash *h = write_hash(m, b, false, &created);
    if (!h) {
        if (!m->present) (void)vl_resp_write_int(b, 0);
        return vl_noop();
    }
    long long n = 0;
    for (uint32_t i = 1; i < op->argc; i++) n += vh_del(h, op->argv[i].p, op->argv[i].len);
    (void)vl_resp_write_int(b, n);
    if (n == 0) return vl_noop();
    if (vh_count(h) == 0) return vl_delete_with(op->policy);
    return op->policy;
}

static void hdel_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, hdel_wr}, 0, 0, 0);
}

/* ---- reads --------------------------------------------------------------------------- */

/* The start of every hash read: false once the part is answered (a failed
 * read, or WRONGTYPE); else *h is the hash, or NULL for a missing key. */
static bool hash_read_begin(srv_part *p, vl_status st, const vl_view *v, const sv_hash **h) {
    bool wrong;
    if (READ_FAILED(st)) {
        part_fail(p, st);
        return false;
    }
    *h = read_hash(st, v, part_buf(p), &wrong);
    if (wrong) part_done(p);
    return !wrong;
}

static void hget_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    const sv_hash *h;
    if (!hash_read_begin(p, st, v, &h)) return;
    const sv_field *x = h ? vh_get(h, op->argv[1].p, op->argv[1].len) : NULL;
    if (x) (void)vl_resp_write_bulk(b, vf_value(x), x->vlen);
    else (void)vl_resp_write_null(b, op->proto);
    part_done(p);
}

static void hmget_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    const sv_hash *h;
    if (!hash_read_begin(p, st, v, &h)) return;
    (void)vl_resp_write_array(b, op->argc - 1);
    for (uint32_t i = 1; i < op->argc; i++) {
        const sv_field *x = h ? vh_get(h, op->argv[i].p, op->argv[i].len) : NULL;
        if (x) (void)vl_resp_write_bulk(b, vf_value(x), x->vlen);
        else (void)vl_resp_write_null(b, op->proto);
    }
    part_done(p);
}

enum { HALL_KEYS = 1, HALL_VALS = 2 };

static void hgetall_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    const sv_hash *h;
    if (!hash_read_begin(p, st, v, &h)) return;
    uint32_t what = op->flags, n = h ? vh_count(h) : 0;
    if (what == (HALL_KEYS | HALL_VALS)) (void)vl_resp_write_map(b, op->proto, n);
    else (void)vl_resp_write_array(b, n);
    for (uint32_t i = 0; h && i < vh_slots(h); i++) {
        const sv_field *x = vh_at(h, i);
        if (!x) continue;
        if (what & HALL_KEYS) (void)vl_resp_write_bulk(b, vf_name(x), x->flen);
        if (what & HALL_VALS) (void)vl_resp_write_bulk(b, vf_value(x), x->vlen);
    }
    part_done(p);
}

enum { HQ_EXISTS = 1, HQ_LEN, HQ_STRLEN };

/* HEXISTS, HLEN, HSTRLEN: an integer about the hash or one field. */
static void hquery_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    const sv_hash *h;
    if (!hash_read_begin(p, st, v, &h)) return;
    long long r = 0;
    if (h && op->flags == HQ_LEN) {
        r = vh_count(h);
    } else if (h) {
        const sv_field *x = vh_get(h, op->argv[1].p, op->argv[1].len);
        r = !x ? 0 : op->flags == HQ_EXISTS ? 1 : (long long)x->vlen;
    }
    (void)vl_resp_write_int(b, r);
    part_done(p);
}

static void hget_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hget_rd, NULL}, 0, 0, 0);
}
static void hmget_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hmget_rd, NULL}, 0, 0, 0);
}
static void hgetall_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hgetall_rd, NULL}, 0, 0, HALL_KEYS | HALL_VALS);
}
static void hkeys_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hgetall_rd, NULL}, 0, 0, HALL_KEYS);
}
static void hvals_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hgetall_rd, NULL}, 0, 0, HALL_VALS);
}
static void hexists_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hquery_rd, NULL}, 0, 0, HQ_EXISTS);
}
static void hlen_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hquery_rd, NULL}, 0, 0, HQ_LEN);
}
static void hstrlen_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hquery_rd, NULL}, 0, 0, HQ_STRLEN);
}

/* ---- HSCAN ------------------------------------------------------------------------------- */

/* The whole hash in one reply, cursor "0", whatever the cursor and COUNT:
 * what Redis 7.0 answers for a small (listpack) hash, in the same order;
 * a vellir hash is bounded by --max-value (docs/server.md). op->flags:
 * the options' error (scan_opts), which Redis reports only for a hash;
 * op->n1: MATCH's argument index (0: none). */
static void hscan_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    const sv_hash *h;
    if (!hash_read_begin(p, st, v, &h)) return;
    if (h && op->flags != SCAN_OPT_OK) {
        scan_opts o = {0, 0, 0, (int)op->flags};
        scan_opts_error(b, &o);
        part_done(p);
        return;
    }
    const srv_arg *m = op->n1 ? &op->argv[op->n1 - 1] : NULL;
    uint32_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            (void)vl_resp_write_array(b, 2);
            (void)vl_resp_write_bulk(b, "0", 1);
            (void)vl_resp_write_array(b, 2 * (size_t)n);
        }
        for (uint32_t i = 0; h && i < vh_slots(h); i++) {
            const sv_field *x = vh_at(h, i);
            if (!x || (m && !glob_match((const char *)m->p, m->len, (const char *)vf_name(x),
                                        x->flen, false)))
                continue;
            if (pass == 0) {
                n++;
                continue;
            }
            (void)vl_resp_write_bulk(b, vf_name(x), x->flen);
            (void)vl_resp_write_bulk(b, vf_value(x), x->vlen);
        }
    }
    part_done(p);
}

static void hscan_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    uint64_t cursor;
    if (!scan_cursor_parse(argv[2].p, argv[2].len, &cursor)) {
        reply_error(conn_reply_buf(c), "ERR invalid cursor");
        return;
    }
    scan_opts o;
    scan_opts_parse(argv, argc, 3, false, &o);
    start_key_op(c, cmd, argv, argc, (srv_keyfn){hscan_rd, NULL}, (int64_t)o.match, 0,
                 (uint32_t)o.error);
}

/* ---- HINCRBY, HINCRBYFLOAT -------------------------------------------------------------- */

/* Sets field argv[1] to text t[0..n), on a hash write_hash gave. */
static vl_policy hincr_store(srv_part *p, vl_mut *m, sv_hash *h, bool created, const char *t,
                             size_t n) {
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    if (vh_enc_after_set(h, op->argv[1].p, op->argv[1].len, n) > op->home->srv->cfg.value_max ||
        vh_set(h, op->argv[1].p, op->argv[1].len, t, n) < 0) {
        if (created) vh_free(h);
        return fail_nomem(b);
    }
    if (created) adopt_hash(m, h);
    return op->policy;
}

static vl_policy hincrby_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    bool created;
    sv_hash *h = write_hash(m, b, true, &created);
    if (!h) return vl_noop();
    const sv_field *x = vh_get(h, op->argv[1].p, op->argv[1].len);
    int64_t cur = 0, by = op->n1;
    if (x && !sv_parse_ll(vf_value(x), x->vlen, &cur)) {
        reply_error(b, "ERR hash value is not an integer");
        return vl_noop();
    }
    if ((by < 0 && cur < 0 && by < INT64_MIN - cur) || (by > 0 && cur > 0 && by > INT64_MAX - cur)) {
        if (created) vh_free(h);
        reply_error(b, "ERR increment or decrement would overflow");
        return vl_noop();
    }
    sv_num t;
    size_t n = sv_ll_text(cur + by, &t);
    vl_policy pol = hincr_store(p, m, h, created, t.t, n);
    if (pol.kind != VL_COMMIT_NOOP) (void)vl_resp_write_int(b, (long long)(cur + by));
    return pol;
}

static vl_policy hincrbyfloat_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    bool created;
    sv_hash *h = write_hash(m, b, true, &created);
    if (!h) return vl_noop();
    const sv_field *x = vh_get(h, op->argv[1].p, op->argv[1].len);
    long double cur = 0;
    if (x && !parse_ld(vf_value(x), x->vlen, &cur)) {
        reply_error(b, "ERR hash value is not a float");
        return vl_noop();
    }
    long double r = cur + op->ld;
    if (isnan(r) || isinf(r)) {
        if (created) vh_free(h);
        reply_error(b, "ERR increment would produce NaN or Infinity");
        return vl_noop();
    }
    char text[VL_RESP_LDOUBLE_CHARS];
    size_t n = vl_resp_ldouble_text(text, sizeof text, r);
    vl_policy pol = hincr_store(p, m, h, created, text, n);
    if (pol.kind != VL_COMMIT_NOOP) (void)vl_resp_write_bulk(b, text, n);
    return pol;
}

static void hincrby_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    int64_t by;
    if (!arg_ll(&argv[3], &by)) {
        reply_not_int(conn_reply_buf(c));
        return;
    }
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, hincrby_wr}, by, 0, 0);
}

static void hincrbyfloat_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                             size_t argc) {
    long double by;
    if (!parse_ld(argv[3].p, argv[3].len, &by)) {
        reply_error(conn_reply_buf(c), "ERR value is not a valid float");
        return;
    }
    if (isnan(by) || isinf(by)) {
        reply_error(conn_reply_buf(c), "ERR value is NaN or Infinity");
        return;
    }
    srv_op *op = new_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, hincrbyfloat_wr});
    if (!op) return;
    op->ld = by;
    op_start(op);
}

/* ---- the table ----------------------------------------------------------------------- */

#define HREAD(n, a, fn, fl, acl, tips, ks, since, cx, sum)                                  \
    {n, a, CMD_KEYS, 1, 1, 1, fn, NULL, fl, acl, tips, ks, "hash", since, cx, sum, NULL}
#define HWRITE(n, a, fn, fl, acl, ks, since, cx, sum)                                       \
    {n, a, CMD_KEYS | CMD_WRITE, 1, 1, 1, fn, NULL, fl, acl, "", ks, "hash", since, cx, sum, NULL}

const srv_cmd cmd_hash_table[] = {
    HWRITE("hset", -4, hset_run, "write,denyoom,fast", "@write,@hash,@fast", "RW,update",
           "2.0.0", "O(N) where N is the number of fields being set.",
           "Sets fields of a hash; returns how many were new."),
    HWRITE("hsetnx", 4, hsetnx_run, "write,denyoom,fast", "@write,@hash,@fast", "RW,insert",
           "2.0.0", "O(1)", "Sets a field of a hash only when it does not exist."),
    HREAD("hget", 3, hget_run, "readonly,fast", "@read,@hash,@fast", "", "RO,access", "2.0.0",
          "O(1)", "Returns the value of a field of a hash."),
    HREAD("hmget", -3, hmget_run, "readonly,fast", "@read,@hash,@fast", "", "RO,access",
          "2.0.0", "O(N) where N is the number of fields being requested.",
          "Returns the values of fields of a hash."),
    HWRITE("hmset", -4, hmset_run, "write,denyoom,fast", "@write,@hash,@fast", "RW,update",
           "2.0.0", "O(N) where N is the number of fields being set.",
           "Sets fields of a hash (like HSET; answers OK)."),
    HREAD("hgetall", 2, hgetall_run, "readonly", "@read,@hash,@slow",
          "nondeterministic_output_order", "RO,access", "2.0.0",
          "O(N) where N is the size of the hash.", "Returns every field and value of a hash."),
    HWRITE("hdel", -3, hdel_run, "write,fast", "@write,@hash,@fast", "RW,delete", "2.0.0",
           "O(N) where N is the number of fields to be removed.",
           "Deletes fields of a hash (the key goes with its last field)."),
    HREAD("hexists", 3, hexists_run, "readonly,fast", "@read,@hash,@fast", "", "RO", "2.0.0",
          "O(1)", "Says whether a field of a hash exists."),
    HREAD("hlen", 2, hlen_run, "readonly,fast", "@read,@hash,@fast", "", "RO", "2.0.0", "O(1)",
          "Returns the number of fields of a hash."),
    HREAD("hkeys", 2, hkeys_run, "readonly", "@read,@hash,@slow",
          "nondeterministic_output_order", "RO,access", "2.0.0",
          "O(N) where N is the size of the hash.", "Returns the fields of a hash."),
    HREAD("hvals", 2, hvals_run, "readonly", "@read,@hash,@slow",
          "nondeterministic_output_order", "RO,access", "2.0.0",
          "O(N) where N is the size of the hash.", "Returns the values of a hash."),
    HWRITE("hincrby", 4, hincrby_run, "write,denyoom,fast", "@write,@hash,@fast",
           "RW,access,update", "2.0.0", "O(1)", "Adds an integer to a field of a hash."),
    HWRITE("hincrbyfloat", 4, hincrbyfloat_run, "write,denyoom,fast", "@write,@hash,@fast",
           "RW,access,update", "2.6.0", "O(1)", "Adds a floating point number to a field of a hash."),
    HREAD("hstrlen", 3, hstrlen_run, "readonly,fast", "@read,@hash,@fast", "", "RO", "3.2.0",
          "O(1)", "Returns the length of the value of a field of a hash."),
    HREAD("hscan", -3, hscan_run, "readonly", "@read,@hash,@slow", "nondeterministic_output",
          "RO,access", "2.8.0", "O(1) for every call. O(N) for a complete iteration.",
          "Returns the fields and values of a hash (all of them, with cursor 0)."),
    SRV_CMD_END,
};
