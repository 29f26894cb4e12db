/*
 * cmd_counter.c -- INCR, INCRBY, DECR, DECRBY, INCRBYFLOAT.
 *
 * Owns: nothing global. Threads: *_run on the connection's home shard
 * (parsing the increment, as Redis does before it looks at the key); the
 * write functions on the key's shard.
 *
 * A counter is a string whose text is an integer; vellir keeps it as an
 * SV_INT (value.h), so INCR on a hot key is an add, and its commit encodes
 * a CBOR integer. The key's expiry is kept, as in Redis.
 */
#include <math.h>
#include <string.h>

#include "cmd_util.h"

/* The integer held by a string value; false if the text is not one. */
static bool value_ll(const sv_value *v, int64_t *out) {
    if (v->kind == SV_INT) {
        *out = v->u.i;
        return true;
    }
    sv_num t;
    const uint8_t *p;
    size_t n;
    sv_str_view(v, &t, &p, &n);
    return sv_parse_ll(p, n, out);
}

/* INCRBY by op->n1 (INCR, DECR and DECRBY arrive as INCRBY). */
static vl_policy incr_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    int64_t cur = 0, by = op->n1;
    if (m->present) {
        if (!sv_is_str(m->value)) {
            reply_wrongtype(b);
            return vl_noop();
        }
        if (!value_ll(m->value, &cur)) {
            reply_not_int(b);
            return vl_noop();
        }
    }
    if ((by < 0 && cur < 0 && by < INT64_MIN - cur) || (by > 0 && cur > 0 && by > INT64_MAX - cur)) {
        reply_error(b, "ERR increment or decrement would overflow");
        return vl_noop();
    }
    if (m->present) sv_clear(m->value);
    else sv_count_created();
    sv_set_int(m->value, cur + by);
    m->present = true;
    (void)vl_resp_write_int(b, (long long)(cur + by));
    return op->policy;
}

static void incr_start(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, int64_t by) {
    start_key_op(c, cmd, argv, 2, (srv_keyfn){NULL, incr_wr}, by, 0, 0);
}

static void incr_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)argc;
    incr_start(c, cmd, argv, 1);
}

static void decr_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)argc;
    incr_start(c, cmd, argv, -1);
}

static void incrby_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)argc;
    int64_t by;
    if (!arg_ll(&argv[2], &by)) {
        reply_not_int(conn_reply_buf(c));
        return;
    }
    incr_start(c, cmd, argv, by);
}

static void decrby_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)argc;
    int64_t by;
    if (!arg_ll(&argv[2], &by)) {
        reply_not_int(conn_reply_buf(c));
        return;
    }
    if (by == INT64_MIN) {
        reply_error(conn_reply_buf(c), "ERR decrement would overflow");
        return;
    }
    incr_start(c, cmd, argv, -by);
}

/* INCRBYFLOAT by op->ld; the result is stored as its text. */
static vl_policy incrbyfloat_wr(void *arg, vl_mut *m) {
    srv_part *p = arg;
    srv_op *op = p->op;
    vl_buf *b = part_buf(p);
    long double cur = 0;
    if (m->present) {
        if (!sv_is_str(m->value)) {
            reply_wrongtype(b);
            return vl_noop();
        }
        sv_num t;
        const uint8_t *s;
        size_t n;
        sv_str_view(m->value, &t, &s, &n);
        if (!parse_ld(s, n, &cur)) {
            reply_error(b, "ERR value is not a valid float");
            return vl_noop();
        }
    }
    long double r = cur + op->ld;
    if (isnan(r) || isinf(r)) {
        reply_error(b, "ERR increment would produce NaN or Infinity");
        return vl_noop();
    }
    char text[VL_RESP_LDOUBLE_CHARS];
    size_t n = vl_resp_ldouble_text(text, sizeof text, r);
    sv_value nv;
    if (sv_set_str(&nv, text, n) != VL_OK) return fail_nomem(b);
    if (m->present) sv_clear(m->value);
    else sv_count_created();
    *(sv_value *)m->value = nv;
    m->present = true;
    (void)vl_resp_write_bulk(b, text, n);
    return op->policy;
}

static void incrbyfloat_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                            size_t argc) {
    long double by;
    if (!parse_ld(argv[2].p, argv[2].len, &by)) {
        reply_error(conn_reply_buf(c), "ERR value is not a valid float");
        return;
    }
    srv_op *op = new_key_op(c, cmd, argv, argc, (srv_keyfn){NULL, incrbyfloat_wr});
    if (!op) return;
    op->ld = by;
    op_start(op);
}

const srv_cmd cmd_counter_table[] = {
    {"incr", 2, CMD_KEYS | CMD_WRITE, 1, 1, 1, incr_run, NULL, "write,denyoom,fast",
     "@write,@string,@fast", "", "RW,access,update", "string", "1.0.0", "O(1)",
     "Adds one to the integer value of a key (0 if the key does not exist).", NULL},
    {"incrby", 3, CMD_KEYS | CMD_WRITE, 1, 1, 1, incrby_run, NULL, "write,denyoom,fast",
     "@write,@string,@fast", "", "RW,access,update", "string", "1.0.0", "O(1)",
     "Adds an integer to the integer value of a key.", NULL},
    {"decr", 2, CMD_KEYS | CMD_WRITE, 1, 1, 1, decr_run, NULL, "write,denyoom,fast",
     "@write,@string,@fast", "", "RW,access,update", "string", "1.0.0", "O(1)",
     "Subtracts one from the integer value of a key.", NULL},
    {"decrby", 3, CMD_KEYS | CMD_WRITE, 1, 1, 1, decrby_run, NULL, "write,denyoom,fast",
     "@write,@string,@fast", "", "RW,access,update", "string", "1.0.0", "O(1)",
     "Subtracts an integer from the integer value of a key.", NULL},
    {"incrbyfloat", 3, CMD_KEYS | CMD_WRITE, 1, 1, 1, incrbyfloat_run, NULL,
     "write,denyoom,fast", "@write,@string,@fast", "", "RW,access,update", "string", "2.6.0",
     "O(1)", "Adds a floating point number to the value of a key.", NULL},
    SRV_CMD_END,
};
