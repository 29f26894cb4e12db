/*
 * cmd_util.c -- starting the ops of the command families (cmd_util.h):
 * single-key and multi-key ops, and the read that counts existing keys.
 *
 * Owns: nothing. Threads: the connection's home shard, except exists_rd,
 * which runs on a key's shard and touches only its part and the op's
 * atomics.
 */
#include "cmd_util.h"

srv_op *new_key_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                   srv_keyfn fn) {
    srv_op *op = op_new(c, cmd, argv, argc);
    if (!op || op_parts(op, 1) != VL_OK) {
        if (op) op_free(op);
        reply_status_error(conn_reply_buf(c), VL_ENOMEM);
        return NULL;
    }
    op->fn = fn;
    return op;
}

srv_op *start_key_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                     srv_keyfn fn, int64_t n1, int64_t n2, uint32_t flags) {
    srv_op *op = new_key_op(c, cmd, argv, argc, fn);
    if (!op) return NULL;
    op->n1 = n1;
    op->n2 = n2;
    op->flags = flags;
    op_start(op);
    return op;
}

srv_op *start_multi_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                       srv_keyfn fn, uint32_t nkeys, uint32_t flags) {
    srv_op *op = op_new(c, cmd, argv, argc);
    if (op) op->multi = true;
    if (!op || op_parts(op, nkeys) != VL_OK) {
        if (op) op_free(op);
        reply_status_error(conn_reply_buf(c), VL_ENOMEM);
        return NULL;
    }
    op->fn = fn;
    op->flags = flags;
    op->multi = true;
    op->blind = flags & MULTI_BLIND;
    if (cmd->flags & CMD_BARRIER) {
        op->is_barrier = true;
        c->barrier = true;
    }
    op_start(op);
    return op;
}

/* Counts the parts whose key holds a value (EXISTS, MSETNX's first phase). */
void exists_rd(void *arg, vl_status st, const vl_view *v) {
    (void)v;
    srv_part *p = arg;
    if (st == VL_OK) atomic_fetch_add(&p->op->sum, 1);
    else if (st != VL_ENOTFOUND) {
        part_fail(p, st);
        return;
    }
    part_done(p);
}
