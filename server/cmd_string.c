/*
 * cmd_string.c -- the string commands: GET, SET (EX PX EXAT PXAT NX XX
 * KEEPTTL GET), SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX, MGET, MSET,
 * MSETNX, APPEND, STRLEN, GETRANGE, SETRANGE.
 *
 * Owns: nothing global. Threads: the *_run functions on the connection's
 * home shard (they check and parse arguments, as Redis does before it looks
 * at the key); the read callbacks and write functions on the key's shard,
 * where they see the value and write the reply into their part's buffer.
 */
#include <string.h>
#include <time.h>

#include "cmd_util.h"

/* ---- SET's options (also GETEX's) -------------------------------------------- */

enum {
    SETF_NX = 1,
    SETF_XX = 2,
    SETF_GET = 4,
    SETF_KEEPTTL = 8,
    SETF_EX = 16,
    SETF_PX = 32,
    SETF_EXAT = 64,
    SETF_PXAT = 128,
    SETF_PERSIST = 256
};
#define SETF_EXPIRE (SETF_EX | SETF_PX | SETF_EXAT | SETF_PXAT)

/* One option word; false if it is not allowed here (a syntax error). */
static bool set_option(const vl_resp_arg *a, bool has_next, bool is_set, uint32_t *f) {
    uint32_t x = *f;
    if (is_set && arg_is(a, "NX") && !(x & SETF_XX)) *f |= SETF_NX;
    else if (is_set && arg_is(a, "XX") && !(x & SETF_NX)) *f |= SETF_XX;
    else if (is_set && arg_is(a, "GET")) *f |= SETF_GET;
    else if (is_set && arg_is(a, "KEEPTTL") && !(x & SETF_EXPIRE)) *f |= SETF_KEEPTTL;
    else if (!is_set && arg_is(a, "PERSIST") && !(x & SETF_EXPIRE)) *f |= SETF_PERSIST;
    else if (has_next && arg_is(a, "EX") && !(x & (SETF_KEEPTTL | SETF_PERSIST | (SETF_EXPIRE & ~SETF_EX)))) *f |= SETF_EX;
    else if (has_next && arg_is(a, "PX") && !(x & (SETF_KEEPTTL | SETF_PERSIST | (SETF_EXPIRE & ~SETF_PX)))) *f |= SETF_PX;
    else if (has_next && arg_is(a, "EXAT") && !(x & (SETF_KEEPTTL | SETF_PERSIST | (SETF_EXPIRE & ~SETF_EXAT)))) *f |= SETF_EXAT;
    else if (has_next && arg_is(a, "PXAT") && !(x & (SETF_KEEPTTL | SETF_PERSIST | (SETF_EXPIRE & ~SETF_PXAT)))) *f |= SETF_PXAT;
    else return false;
    return true;
}

/* Parses argv[from..argc) as SET's (is_set) or GETEX's options. On success
 * *flags and *at (absolute ms, 0: none); on failure the error is replied. */
static bool parse_set_options(srv_conn *c, const char *name, const vl_resp_arg *argv,
                              size_t from, size_t argc, bool is_set, uint32_t *flags,
                              int64_t *at) {
    const vl_resp_arg *exp = NULL;
    uint32_t f = 0;
    for (size_t j = from; j < argc; j++) {
        if (!set_option(&argv[j], j + 1 < argc, is_set, &f)) {
            reply_syntax(conn_reply_buf(c));
            return false;
        }
        if (arg_is(&argv[j], "EX") || arg_is(&argv[j], "PX") || arg_is(&argv[j], "EXAT") ||
            arg_is(&argv[j], "PXAT"))
            exp = &argv[++j]; /* the same option twice: the later value wins */
    }
    *flags = f;
    *at = 0;
    if (!exp) return true;
    int64_t v;
    if (!arg_ll(exp, &v)) {
        reply_not_int(conn_reply_buf(c));
        return false;
    }
    bool secs = f & (SETF_EX | SETF_EXAT), rel = f & (SETF_EX | SETF_PX);
    if (!expire_to_abs(v, secs, rel, at)) {
        reply_errorf(conn_reply_buf(c), "ERR invalid expire time in '%s' command", name);
        return false;
    }
    return true;
}

/* ---- GET, MGET, STRLEN, GETRANGE --------------------------------------------------- */

/* MGET's parts answer nil for a key that is not a string. */
#define F_MGET 1u

static void get_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    vl_buf *b = part_buf(p);
    if (st == VL_OK && sv_is_str(v->value)) {
        count_hit(true);
        reply_str_value(b, v->value);
    } else if (st == VL_OK && !(p->op->flags & F_MGET)) {
        count_hit(true);
        reply_wrongtype(b);
    } else if (st == VL_OK || st == VL_ENOTFOUND) {
        count_hit(st == VL_OK);
        (void)vl_resp_write_null(b, p->op->proto);
    } else {
        part_fail(p, st);
        return;
    }
    part_done(p);
}

static void get_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){get_rd, NULL}, 0, 0, 0);
}

static bool mget_home(srv_op *op) {
    (void)vl_resp_write_array(&op->reply, op->nkeys);
    for (uint32_t i = 0; i < op->nkeys; i++)
        (void)vl_buf_append(&op->reply, op->parts[i].out.data, op->parts[i].out.len);
    return true;
}

static void mget_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_multi_op(c, cmd, argv, argc, (srv_keyfn){get_rd, NULL}, (uint32_t)(argc - 1), F_MGET);
}

static void strlen_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    vl_buf *b = part_buf(p);
    if (st == VL_OK && !sv_is_str(v->value)) reply_wrongtype(b);
    else if (st == VL_OK) (void)vl_resp_write_int(b, (long long)sv_str_len(v->value));
    else if (st == VL_ENOTFOUND) (void)vl_resp_write_int(b, 0);
    else {
        part_fail(p, st);
        return;
    }
    part_done(p);
}

static void strlen_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){strlen_rd, NULL}, 0, 0, 0);
}

/* Redis's GETRANGE arithmetic on a string of n bytes; false: empty. */
static bool range_of(int64_t start, int64_t end, size_t n, size_t *from, size_t *len) {
    int64_t ln = (int64_t)n;
    if (start < 0 && end < 0 && start > end) return false;
    if (start < 0) start += ln;
    if (end < 0) end += ln;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= ln) end = ln - 1;
    if (n == 0 || start > end) return false;
    *from = (size_t)start;
    *len = (size_t)(end - start + 1);
    return true;
}

static void getrange_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    vl_buf *b = part_buf(p);
    if (st == VL_OK && !sv_is_str(v->value)) {
        reply_wrongtype(b);
    } else if (st == VL_OK) {
        sv_num t;
        const uint8_t *s;
        size_t n, from, len;
        sv_str_view(v->value, &t, &s, &n);
        if (range_of(p->op->n1, p->op->n2, n, &from, &len)) (void)vl_resp_write_bulk(b, s + from, len);
        else (void)vl_resp_write_bulk(b, "", 0);
    } else if (st == VL_ENOTFOUND) {
        (void)vl_resp_write_bulk(b, "", 0);
    } else {
        {
        part_fail(p, st);
        return;
    }
    }
    part_done(p);
}

static void getrange_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    int64_t start, end;
    if (!arg_ll(&argv[2], &start) || !arg_ll(&argv[3], &end)) {
        reply_not_int(conn_reply_buf(c));
        return;
    }
    start_key_op(c, cmd, argv, argc, (srv_keyfn){getrange_rd, NULL}, start, end, 0);
}

/* ---- SET and its family --------------------------------------------------------- */

/* Replaces the value of m with the string s[0..n) (m->present may be
 * false). False: out of memory, nothing changed. */
static bool put_string(vl_mut *m, const uint8_t *s, size_t n) {
    sv_value nv;
    if (sv_set_str(&nv, s, n) != VL_OK) return false;
    if (m->present) sv_clear(m->value);
    else sv_count_created();
    *(sv_value *)m->value = nv;
    m->present = true;
    return true;
}

/* SET key value [options]: n1 = expiry (absolute ms), flags = SETF_*. The
 * reply form: SET's, SETNX's (:1/:0) or GETSET's (old value). */
#define F_REPLY_INT (1u << 16)

static vl_policy set_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    uint32_t f = op->flags;
    const sv_value *old = m->present ? m->value : NULL;
    if ((f & SETF_GET) && old && !sv_is_str(old)) {
        reply_wrongtype(b);
        return vl_noop();
    }
    bool skip = ((f & SETF_NX) && old) || ((f & SETF_XX) && !old);
    if (f & SETF_GET) {
        if (old) reply_str_value(b, old);
        else (void)vl_resp_write_null(b, op->proto);
    }
    if (skip) {
        if (f & F_REPLY_INT) (void)vl_resp_write_int(b, 0);
        else if (!(f & SETF_GET)) (void)vl_resp_write_null(b, op->proto);
        return vl_noop();
    }
    srv_arg val = op->argv[1];
    if (!put_string(m, val.p, val.len)) {
        b->len = 0;
        reply_status_error(b, VL_ENOMEM);
        return vl_noop();
    }
    if (!(f & SETF_KEEPTTL)) m->expires_at = op->n1;
    if (f & F_REPLY_INT) (void)vl_resp_write_int(b, 1);
    else if (!(f & SETF_GET)) reply_ok(b);
    return op->policy;
}

static bool value_fits(srv_conn *c, size_t n) {
    if (str_fits(c->sh->srv, n)) return true;
    reply_too_big(conn_reply_buf(c));
    return false;
}

/* Starts a SET-like op. An overwrite that needs nothing of the old value
 * (no GET, NX, XX or KEEPTTL) does not load a cold key. */
static void start_set(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                      int64_t at, uint32_t f) {
    srv_op *op = new_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, set_wr});
    if (!op) return;
    op->n1 = at;
    op->flags = f;
    op->blind = !(f & (SETF_GET | SETF_NX | SETF_XX | SETF_KEEPTTL));
    op_start(op);
}

static void set_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    uint32_t f;
    int64_t at;
    if (!parse_set_options(c, "set", argv, 3, argc, true, &f, &at)) return;
    if (!value_fits(c, argv[2].len)) return;
    start_set(c, cmd, argv, argc, at, f);
}

static void setnx_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    if (!value_fits(c, argv[2].len)) return;
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, set_wr}, 0, 0, SETF_NX | F_REPLY_INT);
}

static void getset_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    if (!value_fits(c, argv[2].len)) return;
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, set_wr}, 0, 0, SETF_GET);
}

/* SETEX key seconds value / PSETEX key ms value: the value is argv[3], so
 * the op's arguments are rearranged to SET's order. */
static void setex_common(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, bool secs) {
    int64_t v, at;
    if (!arg_ll(&argv[2], &v)) {
        reply_not_int(conn_reply_buf(c));
        return;
    }
    if (!expire_to_abs(v, secs, true, &at)) {
        reply_errorf(conn_reply_buf(c), "ERR invalid expire time in '%s' command", cmd->name);
        return;
    }
    if (!value_fits(c, argv[3].len)) return;
    vl_resp_arg re[3] = {argv[0], argv[1], argv[3]};
    start_set(c, cmd, re, 3, at, SETF_EX);
}

static void setex_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)argc;
    setex_common(c, cmd, argv, true);
}

static void psetex_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)argc;
    setex_common(c, cmd, argv, false);
}

/* GETDEL key */
static vl_policy getdel_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    vl_buf *b = part_buf(p);
    if (!m->present) {
        (void)vl_resp_write_null(b, p->op->proto);
        return vl_noop();
    }
    if (!sv_is_str(m->value)) {
        reply_wrongtype(b);
        return vl_noop();
    }
    reply_str_value(b, m->value);
    return vl_delete_with(p->op->policy);
}

static void getdel_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, getdel_wr}, 0, 0, 0);
}

/* GETEX key [EX|PX|EXAT|PXAT t | PERSIST] */
static vl_policy getex_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    if (!m->present) {
        (void)vl_resp_write_null(b, op->proto);
        return vl_noop();
    }
    if (!sv_is_str(m->value)) {
        reply_wrongtype(b);
        return vl_noop();
    }
    reply_str_value(b, m->value);
    if (op->flags & SETF_PERSIST) {
        if (!m->expires_at) return vl_noop();
        m->expires_at = 0;
        return op->policy;
    }
    if (!(op->flags & SETF_EXPIRE)) return vl_noop();
    if (op->n1 <= vl_time_ms()) return vl_delete_with(op->policy);
    m->expires_at = op->n1;
    return op->policy;
}

static void getex_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    uint32_t f;
    int64_t at;
    if (!parse_set_options(c, "getex", argv, 2, argc, false, &f, &at)) return;
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, getex_wr}, at, 0, f);
}

/* ---- MSET, MSETNX ---------------------------------------------------------------- */

/* Part i sets key argv[2i] to argv[2i+1] and clears its expiry. */
static vl_policy mset_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    srv_arg val = op->argv[2 * p->idx + 1];
    if (!put_string(m, val.p, val.len)) {
        int none = VL_OK;
        atomic_compare_exchange_strong(&op->err, &none, (int)VL_ENOMEM);
        return vl_noop();
    }
    m->expires_at = 0;
    return op->policy;
}

static bool mset_home(srv_op *op) {
    reply_ok(&op->reply);
    return true;
}

static bool pairs_fit(srv_conn *c, const vl_resp_arg *argv, size_t argc) {
    for (size_t i = 2; i < argc; i += 2)
        if (!value_fits(c, argv[i].len)) return false;
    return true;
}

static void mset_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    if (argc % 2 == 0) {
        reply_arity(conn_reply_buf(c), cmd->name);
        return;
    }
    if (!pairs_fit(c, argv, argc)) return;
    srv_op *op = start_multi_op(c, cmd, argv, argc, (srv_keyfn){NULL, mset_wr},
                                (uint32_t)(argc - 1) / 2, MULTI_BLIND);
    (void)op;
}

/* MSETNX: a barrier op in two phases. Phase 0 reads whether any key
 * exists; phase 1 (only if none did) sets them all. The connection runs
 * nothing else meanwhile; another client may still write one of the keys
 * between the phases (docs/server.md: not atomic across shards). */
static bool msetnx_home(srv_op *op) {
    if (op->phase == 0) {
        if (atomic_load(&op->sum) > 0) {
            (void)vl_resp_write_int(&op->reply, 0);
            return true;
        }
        op->phase = 1;
        op->fn = (srv_keyfn){NULL, mset_wr};
        op->blind = true; /* every key was just read: resident, or known absent */
        return false;
    }
    (void)vl_resp_write_int(&op->reply, 1);
    return true;
}

static void msetnx_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    if (argc % 2 == 0) {
        reply_arity(conn_reply_buf(c), cmd->name);
        return;
    }
    if (!pairs_fit(c, argv, argc)) return;
    srv_op *op = start_multi_op(c, cmd, argv, argc, (srv_keyfn){exists_rd, NULL},
                                (uint32_t)(argc - 1) / 2, 0);
    (void)op;
}

/* ---- APPEND, SETRANGE ------------------------------------------------------------- */

static vl_policy append_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    srv_arg add = op->argv[1];
    if (!m->present) {
        if (!put_string(m, add.p, add.len)) return fail_nomem(b);
        (void)vl_resp_write_int(b, (long long)add.len);
        return op->policy;
    }
    sv_value *v = m->value;
    if (!sv_is_str(v)) {
        reply_wrongtype(b);
        return vl_noop();
    }
    size_t old = sv_str_len(v), n = old + add.len;
    if (!str_fits(op->home->srv, n)) {
        reply_too_big(b);
        return vl_noop();
    }
    uint8_t *d = sv_str_resize(v, n);
    if (!d) return fail_nomem(b);
    if (add.len) memcpy(d + old, add.p, add.len);
    sv_str_done(v);
    (void)vl_resp_write_int(b, (long long)n);
    return op->policy;
}

static void append_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, append_wr}, 0, 0, 0);
}

static vl_policy setrange_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    srv_arg val = op->argv[2];
    size_t off = (size_t)op->n1;
    if (m->present && !sv_is_str(m->value)) {
        reply_wrongtype(b);
        return vl_noop();
    }
    size_t old = m->present ? sv_str_len(m->value) : 0;
    if (val.len == 0) {
        (void)vl_resp_write_int(b, (long long)old);
        return vl_noop();
    }
    if (!str_fits(op->home->srv, off + val.len)) {
        reply_too_big(b);
        return vl_noop();
    }
    if (!m->present) {
        if (!put_string(m, (const uint8_t *)"", 0)) return fail_nomem(b);
    }
    sv_value *v = m->value;
    size_t n = off + val.len > old ? off + val.len : old;
    uint8_t *d = sv_str_resize(v, n);
    if (!d) return fail_nomem(b);
    memcpy(d + off, val.p, val.len);
    sv_str_done(v);
    (void)vl_resp_write_int(b, (long long)n);
    return op->policy;
}

static void setrange_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    int64_t off;
    if (!arg_ll(&argv[2], &off)) {
        reply_not_int(conn_reply_buf(c));
        return;
    }
    if (off < 0) {
        reply_error(conn_reply_buf(c), "ERR offset is out of range");
        return;
    }
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, setrange_wr}, off, 0, 0);
}

/* ---- the table ------------------------------------------------------------------- */

const srv_cmd cmd_string_table[] = {
    {"get", 2, CMD_KEYS, 1, 1, 1, get_run, NULL, "readonly,fast", "@read,@string,@fast", "",
     "RO,access", "string", "1.0.0", "O(1)", "Returns the string value of a key.", NULL},
    {"set", -3, CMD_KEYS | CMD_WRITE, 1, 1, 1, set_run, NULL, "write,denyoom",
     "@write,@string,@slow", "", "RW,access,update,variable_flags", "string", "1.0.0", "O(1)",
     "Sets the string value of a key, with options for expiry and conditions.", NULL},
    {"setnx", 3, CMD_KEYS | CMD_WRITE, 1, 1, 1, setnx_run, NULL, "write,denyoom,fast",
     "@write,@string,@fast", "", "OW,insert", "string", "1.0.0", "O(1)",
     "Sets a key's string value only when the key does not exist.", NULL},
    {"setex", 4, CMD_KEYS | CMD_WRITE, 1, 1, 1, setex_run, NULL, "write,denyoom",
     "@write,@string,@slow", "", "OW,update", "string", "2.0.0", "O(1)",
     "Sets a key's string value and its expiry in seconds.", NULL},
    {"psetex", 4, CMD_KEYS | CMD_WRITE, 1, 1, 1, psetex_run, NULL, "write,denyoom",
     "@write,@string,@slow", "", "OW,update", "string", "2.6.0", "O(1)",
     "Sets a key's string value and its expiry in milliseconds.", NULL},
    {"getset", 3, CMD_KEYS | CMD_WRITE, 1, 1, 1, getset_run, NULL, "write,denyoom,fast",
     "@write,@string,@fast", "", "RW,access,update", "string", "1.0.0", "O(1)",
     "Sets a key's string value and returns the previous one.", NULL},
    {"getdel", 2, CMD_KEYS | CMD_WRITE, 1, 1, 1, getdel_run, NULL, "write,fast",
     "@write,@string,@fast", "", "RW,access,delete", "string", "6.2.0", "O(1)",
     "Returns a key's string value and deletes the key.", NULL},
    {"getex", -2, CMD_KEYS | CMD_WRITE, 1, 1, 1, getex_run, NULL, "write,fast",
     "@write,@string,@fast", "", "RW,access,update", "string", "6.2.0", "O(1)",
     "Returns a key's string value and changes or removes its expiry.", NULL},
    {"mget", -2, CMD_KEYS, 1, -1, 1, mget_run, mget_home, "readonly,fast", "@read,@string,@fast",
     "request_policy:multi_shard", "RO,access", "string", "1.0.0",
     "O(N) where N is the number of keys to retrieve.", "Returns the string values of keys.",
     NULL},
    {"mset", -3, CMD_KEYS | CMD_WRITE, 1, -1, 2, mset_run, mset_home, "write,denyoom",
     "@write,@string,@slow", "request_policy:multi_shard,response_policy:all_succeeded",
     "OW,update", "string", "1.0.1", "O(N) where N is the number of keys to set.",
     "Sets the string values of keys.", NULL},
    {"msetnx", -3, CMD_KEYS | CMD_WRITE | CMD_BARRIER, 1, -1, 2, msetnx_run, msetnx_home,
     "write,denyoom", "@write,@string,@slow",
     "request_policy:multi_shard,response_policy:agg_min", "OW,insert", "string", "1.0.1",
     "O(N) where N is the number of keys to set.",
     "Sets the string values of keys only when none of them exists.", NULL},
    {"append", 3, CMD_KEYS | CMD_WRITE, 1, 1, 1, append_run, NULL, "write,denyoom,fast",
     "@write,@string,@fast", "", "RW,insert", "string", "2.0.0", "O(1)",
     "Appends a string to the value of a key (creating it).", NULL},
    {"strlen", 2, CMD_KEYS, 1, 1, 1, strlen_run, NULL, "readonly,fast", "@read,@string,@fast",
     "", "RO", "string", "2.2.0", "O(1)", "Returns the length of a string value.", NULL},
    {"getrange", 4, CMD_KEYS, 1, 1, 1, getrange_run, NULL, "readonly", "@read,@string,@slow",
     "", "RO,access", "string", "2.4.0", "O(N) where N is the length of the returned string.",
     "Returns a substring of a string value.", NULL},
    {"setrange", 4, CMD_KEYS | CMD_WRITE, 1, 1, 1, setrange_run, NULL, "write,denyoom",
     "@write,@string,@slow", "", "RW,update", "string", "2.2.0", "O(1)",
     "Overwrites part of a string value at an offset (padding with zero bytes).", NULL},
    SRV_CMD_END,
};
