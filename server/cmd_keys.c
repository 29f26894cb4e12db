/*
 * cmd_keys.c -- the key-space and expiry commands: DEL, UNLINK, EXISTS,
 * TYPE, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX XX GT LT), TTL, PTTL,
 * EXPIRETIME, PEXPIRETIME, PERSIST.
 *
 * Owns: nothing global. Threads: *_run on the connection's home shard;
 * read callbacks and write functions on the key's shard.
 *
 * Expiry lives in the cache (vl_mut.expires_at, vl_view.expires_at): the
 * shard expires keys lazily on access and actively in Redis's cycle, and
 * each commit carries the key's expiry upstream, so a reload never brings
 * back an expired value.
 */
#include <string.h>

#include "cmd_util.h"

/* ---- DEL, UNLINK, EXISTS -------------------------------------------------------- */

static vl_policy del_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    if (!m->present) return vl_noop();
    atomic_fetch_add(&p->op->sum, 1);
    return vl_delete_with(p->op->policy);
}

static bool sum_home(srv_op *op) {
    (void)vl_resp_write_int(&op->reply, (long long)atomic_load(&op->sum));
    return true;
}

static void del_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_multi_op(c, cmd, argv, argc, (srv_keyfn){NULL, del_wr}, (uint32_t)(argc - 1), 0);
}

static void exists_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_multi_op(c, cmd, argv, argc, (srv_keyfn){exists_rd, NULL}, (uint32_t)(argc - 1), 0);
}

/* ---- TYPE --------------------------------------------------------------------------- */

static void type_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    vl_buf *b = part_buf(p);
    if (st == VL_OK) {
        const char *t = sv_is_str(v->value) ? "string" : "hash";
        (void)vl_resp_write_simple(b, t, strlen(t));
    } else if (st == VL_ENOTFOUND) {
        (void)vl_resp_write_simple(b, "none", 4);
    } else {
        part_fail(p, st);
        return;
    }
    part_done(p);
}

static void type_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){type_rd, NULL}, 0, 0, 0);
}

/* ---- TTL, PTTL, EXPIRETIME, PEXPIRETIME ------------------------------------------- */

enum { TTL_MS = 1, TTL_ABS = 2 };

static void ttl_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    vl_buf *b = part_buf(p);
    uint32_t f = p->op->flags;
    long long r;
    if (st == VL_ENOTFOUND) {
        r = -2;
    } else if (st != VL_OK) {
        part_fail(p, st);
        return;
    } else if (v->expires_at == 0) {
        r = -1;
    } else if (f & TTL_ABS) {
        r = (f & TTL_MS) ? v->expires_at : v->expires_at / 1000;
    } else {
        int64_t left = v->expires_at - vl_time_ms();
        if (left < 0) left = 0;
        r = (f & TTL_MS) ? left : (left + 500) / 1000;
    }
    (void)vl_resp_write_int(b, r);
    part_done(p);
}

static void ttl_start(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, uint32_t f) {
    start_key_op(c, cmd, argv, 2, (srv_keyfn){ttl_rd, NULL}, 0, 0, f);
}

static void ttl_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)argc;
    ttl_start(c, cmd, argv, 0);
}
static void pttl_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)argc;
    ttl_start(c, cmd, argv, TTL_MS);
}
static void expiretime_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                           size_t argc) {
    (void)argc;
    ttl_start(c, cmd, argv, TTL_ABS);
}
static void pexpiretime_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                            size_t argc) {
    (void)argc;
    ttl_start(c, cmd, argv, TTL_ABS | TTL_MS);
}

/* ---- EXPIRE and its family ------------------------------------------------------------ */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* op->n1: the new expiry (absolute ms); op->flags: EXP_*. */
static vl_policy expire_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    int64_t at = op->n1, cur = m->expires_at;
    uint32_t f = op->flags;
    bool no = !m->present || ((f & EXP_NX) && cur) || ((f & EXP_XX) && !cur) ||
              ((f & EXP_GT) && (!cur || at <= cur)) || ((f & EXP_LT) && cur && at >= cur);
    (void)vl_resp_write_int(b, no ? 0 : 1);
    if (no) return vl_noop();
    if (at <= vl_time_ms()) return vl_delete_with(op->policy); /* already past: the key goes */
    m->expires_at = at;
    return op->policy;
}

/* Parses the NX XX GT LT words at argv[3..argc). */
static bool expire_flags(srv_conn *c, const vl_resp_arg *argv, size_t argc, uint32_t *out) {
    uint32_t f = 0;
    for (size_t i = 3; i < argc; i++) {
        if (arg_is(&argv[i], "NX")) f |= EXP_NX;
        else if (arg_is(&argv[i], "XX")) f |= EXP_XX;
        else if (arg_is(&argv[i], "GT")) f |= EXP_GT;
        else if (arg_is(&argv[i], "LT")) f |= EXP_LT;
        else {
            size_t n = argv[i].len;
            const void *z = memchr(argv[i].p, 0, n);
            if (z) n = (size_t)((const uint8_t *)z - argv[i].p);
            reply_errorf(conn_reply_buf(c), "ERR Unsupported option %.*s", (int)n,
                         (const char *)argv[i].p);
            return false;
        }
    }
    if ((f & EXP_NX) && (f & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(conn_reply_buf(c),
                    "ERR NX and XX, GT or LT options at the same time are not compatible");
        return false;
    }
    if ((f & EXP_GT) && (f & EXP_LT)) {
        reply_error(conn_reply_buf(c), "ERR GT and LT options at the same time are not compatible");
        return false;
    }
    *out = f;
    return true;
}

static void expire_common(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                          bool secs, bool rel) {
    uint32_t f;
    int64_t v;
    if (!expire_flags(c, argv, argc, &f)) return;
    if (!arg_ll(&argv[2], &v)) {
        reply_not_int(conn_reply_buf(c));
        return;
    }
    bool bad = secs && (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000);
    if (!bad && secs) v *= 1000;
    if (!bad && rel) {
        int64_t now = vl_time_ms();
        bad = v > LLONG_MAX - now;
        if (!bad) v += now;
    }
    if (bad) {
        reply_errorf(conn_reply_buf(c), "ERR invalid expire time in '%s' command", cmd->name);
        return;
    }
    start_key_op(c, cmd, argv, 2, (srv_keyfn){NULL, expire_wr}, v, 0, f);
}

static void expire_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    expire_common(c, cmd, argv, argc, true, true);
}
static void pexpire_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    expire_common(c, cmd, argv, argc, false, true);
}
static void expireat_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    expire_common(c, cmd, argv, argc, true, false);
}
static void pexpireat_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                          size_t argc) {
    expire_common(c, cmd, argv, argc, false, false);
}

static vl_policy persist_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    vl_buf *b = part_buf(p);
    bool had = m->present && m->expires_at;
    (void)vl_resp_write_int(b, had ? 1 : 0);
    if (!had) return vl_noop();
    m->expires_at = 0;
    return p->op->policy;
}

static void persist_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    start_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, persist_wr}, 0, 0, 0);
}

/* ---- the table ---------------------------------------------------------------------- */

#define EXPIRE_CMD(n, fn, since, sum)                                                         \
    {n, -3, CMD_KEYS | CMD_WRITE, 1, 1, 1, fn, NULL, "write,fast", "@keyspace,@write,@fast", \
     "", "RW,update", "generic", since, "O(1)", sum, NULL}
#define TTL_CMD(n, fn, tips, since, sum)                                                      \
    {n, 2, CMD_KEYS, 1, 1, 1, fn, NULL, "readonly,fast", "@keyspace,@read,@fast", tips,      \
     "RO,access", "generic", since, "O(1)", sum, NULL}

const srv_cmd cmd_keys_table[] = {
    {"del", -2, CMD_KEYS | CMD_WRITE, 1, -1, 1, del_run, sum_home, "write",
     "@keyspace,@write,@slow", "request_policy:multi_shard,response_policy:agg_sum",
     "RM,delete", "generic", "1.0.0", "O(N) where N is the number of keys that will be removed.",
     "Deletes keys; returns how many existed.", NULL},
    {"unlink", -2, CMD_KEYS | CMD_WRITE, 1, -1, 1, del_run, sum_home, "write,fast",
     "@keyspace,@write,@fast", "request_policy:multi_shard,response_policy:agg_sum",
     "RM,delete", "generic", "4.0.0", "O(1) for each key removed.",
     "Deletes keys (the same as DEL in vellir).", NULL},
    {"exists", -2, CMD_KEYS, 1, -1, 1, exists_run, sum_home, "readonly,fast",
     "@keyspace,@read,@fast", "request_policy:multi_shard,response_policy:agg_sum", "RO",
     "generic", "1.0.0", "O(N) where N is the number of keys to check.",
     "Counts how many of the keys exist.", NULL},
    {"type", 2, CMD_KEYS, 1, 1, 1, type_run, NULL, "readonly,fast", "@keyspace,@read,@fast", "",
     "RO", "generic", "1.0.0", "O(1)", "Returns the type of the value of a key.", NULL},
    EXPIRE_CMD("expire", expire_run, "1.0.0", "Sets a key's time to live in seconds."),
    EXPIRE_CMD("pexpire", pexpire_run, "2.6.0", "Sets a key's time to live in milliseconds."),
    EXPIRE_CMD("expireat", expireat_run, "1.2.0", "Sets a key's expiry as a Unix time in seconds."),
    EXPIRE_CMD("pexpireat", pexpireat_run, "2.6.0",
               "Sets a key's expiry as a Unix time in milliseconds."),
    TTL_CMD("ttl", ttl_run, "nondeterministic_output", "1.0.0",
            "Returns a key's time to live in seconds."),
    TTL_CMD("pttl", pttl_run, "nondeterministic_output", "2.6.0",
            "Returns a key's time to live in milliseconds."),
    TTL_CMD("expiretime", expiretime_run, "", "7.0.0",
            "Returns a key's expiry as a Unix time in seconds."),
    TTL_CMD("pexpiretime", pexpiretime_run, "", "7.0.0",
            "Returns a key's expiry as a Unix time in milliseconds."),
    {"persist", 2, CMD_KEYS | CMD_WRITE, 1, 1, 1, persist_run, NULL, "write,fast",
     "@keyspace,@write,@fast", "", "RW,update", "generic", "2.2.0", "O(1)",
     "Removes a key's expiry.", NULL},
    SRV_CMD_END,
};
