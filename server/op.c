/*
 * op.c -- an op: one command in flight, from its parsing at the
 * connection's shard (its home) through its parts on the keys' shards and
 * back home, where its reply takes its turn in the connection's FIFO.
 *
 * Owns: srv_op and srv_part, the shard's op cache, submission with busy
 * retries, the trip home, and the connection's reply FIFO: the queue of
 * its ops in request order (conn_reply_buf, conn_replies_ready), whose
 * progress kicks the connection onto its shard's tick (conn_kick), where
 * conn.c writes and closes. Nothing here calls conn.c or a command other
 * than through srv_cmd's `home` pointer.
 * Threads: an op is created, started, answered and freed on its home
 * shard's thread. Each part runs on the thread of its key's shard and
 * touches only its own part and the op's atomics (`pending`, `sum`, `err`)
 * and, for a single-key op, op->reply. The handovers are the cache's
 * mailbox (home -> key shard) and vl_post (key shard -> home); the part
 * that brings `pending` to zero (acq_rel) sends the op home.
 *
 * ==== An op's life ====
 *
 *   op_new (home)     arguments copied into the op (the input buffer moves on)
 *   op_parts          one part per key
 *   op_start          into the FIFO; pending = parts + 1 (a guard held while
 *                     submitting, so an early part cannot finish the op);
 *                     each part goes to its key's shard with vl_read/vl_write
 *     VL_EBUSY        the shard's mailbox is full: the op waits in
 *                     conn->resume, the connection parses nothing more, and
 *                     the busy timer calls op_resume (order is kept: later
 *                     commands wait behind it)
 *   part_done (key shard)  the last part sends the op home: directly if the
 *                     key shard is home, else through vl_post
 *   op_arrived (home) cmd->home builds the reply (or starts another phase);
 *                     the FIFO sends every finished reply at its head
 *   op_free (home)    back to the cache
 *
 * A connection that closes with ops in flight detaches them (op->conn =
 * NULL); they finish their parts, come home, and free themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "reply.h"

static void op_task(vl_task *t);
static void op_arrived(srv_op *op);
static void part_write_done(void *arg, vl_status st);

/* ---- allocation -------------------------------------------------------- */

static srv_op *op_alloc(srv_shard *sh) {
    srv_op *op = sh->free_ops;
    if (op) {
        sh->free_ops = op->next;
        sh->nfree--;
    } else {
        op = calloc(1, sizeof *op);
        if (!op) return NULL;
    }
    memset(op, 0, offsetof(srv_op, ld));
    op->reply.len = 0;
    op->store.len = 0;
    op->task.fn = op_task;
    op->home = sh;
    SRV_ADD(sh, ops, 1);
    return op;
}

void op_free(srv_op *op) {
    srv_shard *sh = op->home;
    if (op->ext_free) op->ext_free(op->ext);
    op->ext = NULL;
    op->ext_free = NULL;
    if (op->parts && op->parts != &op->part1) {
        for (uint32_t i = 0; i < op->nkeys; i++) vl_buf_free(&op->parts[i].out);
        free(op->parts);
    }
    vl_buf_free(&op->part1.out);
    op->parts = NULL;
    SRV_ADD(sh, ops, -1);
    if (sh->nfree >= VL_SRV_OP_CACHE || sh->torn_down) {
        vl_buf_free(&op->reply);
        vl_buf_free(&op->store);
        free(op);
        return;
    }
    if (op->reply.cap > VL_SRV_BUF_KEEP) vl_buf_free(&op->reply);
    if (op->store.cap > VL_SRV_BUF_KEEP) vl_buf_free(&op->store);
    op->next = sh->free_ops;
    sh->free_ops = op;
    sh->nfree++;
}

void op_cache_free(srv_shard *sh) {
    while (sh->free_ops) {
        srv_op *op = sh->free_ops;
        sh->free_ops = op->next;
        vl_buf_free(&op->reply);
        vl_buf_free(&op->store);
        free(op);
    }
    sh->nfree = 0;
}

/* Copies argv[1..argc) into the op: inline when small, else into `store`. */
static bool copy_args(srv_op *op, const vl_resp_arg *argv, size_t argc) {
    size_t n = argc - 1, bytes = 0;
    for (size_t i = 1; i < argc; i++) bytes += argv[i].len;
    uint8_t *dst = op->inl;
    op->argv = op->argv_inl;
    if (n > sizeof op->argv_inl / sizeof op->argv_inl[0] || bytes > sizeof op->inl) {
        size_t vec = n * sizeof(srv_arg);
        uint8_t *mem = vl_buf_reserve(&op->store, vec + bytes + 1);
        if (!mem) return false;
        op->argv = (srv_arg *)(void *)mem; /* vl_buf data is malloc-aligned */
        dst = mem + vec;
    }
    for (size_t i = 1; i < argc; i++) {
        if (argv[i].len) memcpy(dst, argv[i].p, argv[i].len);
        op->argv[i - 1] = (srv_arg){dst, argv[i].len};
        dst += argv[i].len;
    }
    op->argc = (uint32_t)n;
    return true;
}

srv_op *op_new(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    srv_op *op = op_alloc(c->sh);
    if (!op) return NULL;
    op->conn = c;
    op->cmd = cmd;
    op->proto = c->proto;
    op->policy = c->sh->srv->write_policy;
    if (!copy_args(op, argv, argc)) {
        op_free(op);
        return NULL;
    }
    return op;
}

static srv_op *op_new_done(srv_conn *c) {
    srv_op *op = op_alloc(c->sh);
    if (!op) return NULL;
    op->conn = c;
    op->done = true;
    op->argv = op->argv_inl;
    if (c->tail) c->tail->next = op;
    else c->head = op;
    c->tail = op;
    c->inflight++;
    return op;
}

vl_status op_parts(srv_op *op, uint32_t nkeys) {
    op->nkeys = nkeys;
    if (nkeys <= 1) {
        op->parts = &op->part1;
        op->part1 = (srv_part){op, 0, {0}};
        return VL_OK;
    }
    op->parts = calloc(nkeys, sizeof *op->parts);
    if (!op->parts) return VL_ENOMEM;
    for (uint32_t i = 0; i < nkeys; i++) op->parts[i] = (srv_part){op, i, {0}};
    return VL_OK;
}

srv_arg op_key(const srv_op *op, uint32_t i) {
    const srv_cmd *cmd = op->cmd;
    uint32_t at = (uint32_t)(cmd->first - 1) + i * (uint32_t)(cmd->step > 0 ? cmd->step : 1);
    return op->argv[at];
}

/* ---- submission --------------------------------------------------------- */

static vl_status submit_part(srv_op *op, uint32_t i) {
    if (op->submit) return op->submit(op, i);
    vl_service *svc = op->home->srv->svc;
    srv_arg k = op_key(op, i);
    srv_part *p = &op->parts[i];
    if (op->fn.read) return vl_read(svc, k.p, k.len, op->fn.read, p);
    if (op->blind) return vl_write_blind(svc, k.p, k.len, op->fn.write, part_write_done, p);
    return vl_write(svc, k.p, k.len, op->fn.write, part_write_done, p);
}

/* Drops the submission guard; the op may arrive here. */
static void release_guard(srv_op *op) {
    if (atomic_fetch_sub_explicit(&op->pending, 1, memory_order_acq_rel) == 1) op_arrived(op);
}

/* Submits parts from op->submitted on. False: a mailbox was full. */
static bool submit_rest(srv_op *op) {
    while (op->submitted < op->nkeys) {
        vl_status st = submit_part(op, op->submitted);
        if (st == VL_EBUSY) {
            SRV_ADD(op->home, busy_stalls, 1);
            return false;
        }
        op->submitted++;
        if (st != VL_OK) part_fail(&op->parts[op->submitted - 1], st);
    }
    release_guard(op);
    return true;
}

void op_start(srv_op *op) {
    srv_conn *c = op->conn;
    if (c->tail) c->tail->next = op;
    else c->head = op;
    c->tail = op;
    c->inflight++;
    op->submitted = 0;
    atomic_store_explicit(&op->pending, op->nkeys + 1, memory_order_relaxed);
    if (!submit_rest(op)) c->resume = op;
}

bool op_resume(srv_op *op) { return submit_rest(op); }

/* Starts a further phase (MSETNX): all parts again with op->fn. */
static void op_restart(srv_op *op) {
    op->submitted = 0;
    atomic_store_explicit(&op->pending, op->nkeys + 1, memory_order_relaxed);
    if (!submit_rest(op) && op->conn) {
        op->conn->resume = op;
        conn_kick(op->conn); /* conn.c puts it on the busy list */
    }
}

/* ---- completion ---------------------------------------------------------- */

void part_done(srv_part *p) {
    srv_op *op = p->op;
    if (atomic_fetch_sub_explicit(&op->pending, 1, memory_order_acq_rel) != 1) return;
    srv_shard *self = srv_self();
    if (self == op->home) {
        op_arrived(op);
        return;
    }
    if (vl_post(op->home->srv->svc, op->home->index, &op->task) != VL_OK) {
        /* The home shard has finished (the server is past its drain
         * deadline): the op cannot be answered; it is leaked on purpose,
         * as freeing it here would race with its home's teardown. */
    }
}

static void op_task(vl_task *t) { op_arrived((srv_op *)t); }

void part_fail(srv_part *p, vl_status st) {
    srv_op *op = p->op;
    srv_shard *self = srv_self(); /* the key's shard: its counters are this thread's */
    if (self && (unsigned)st < VL_STATUS_COUNT) SRV_ADD(self, failures[st], 1);
    if (!op->multi) {
        op->reply.len = 0;
        reply_status_error(&op->reply, st);
    } else {
        int none = VL_OK;
        atomic_compare_exchange_strong(&op->err, &none, (int)st);
    }
    part_done(p);
}

static void part_write_done(void *arg, vl_status st) {
    srv_part *p = arg;
    if (st != VL_OK) {
        part_fail(p, st);
        return;
    }
    part_done(p);
}

/* Home: the op's parts are all done; finish its reply (or start another
 * phase) and let the connection send what is in order. */
static void op_arrived(srv_op *op) {
    srv_conn *c = op->conn;
    if (!c) { /* the connection is gone */
        op_free(op);
        return;
    }
    if (op->cmd && op->cmd->home) {
        int err = atomic_load(&op->err);
        if (err != VL_OK) {
            op->reply.len = 0;
            reply_status_error(&op->reply, (vl_status)err);
        } else if (!op->cmd->home(op)) {
            op_restart(op); /* another phase */
            return;
        }
    }
    op->done = true;
    if (op->is_barrier) c->barrier = 0;
    if (c->resume == op) c->resume = NULL;
    conn_replies_ready(c);
}

void op_abandon(srv_op *op) {
    op->conn = NULL;
    if (op->done) {
        op_free(op);
        return;
    }
    uint32_t unsent = op->nkeys - op->submitted;
    if (unsent == 0) return; /* all submitted, guard released: parts run */
    /* Mid-submission (busy): the parts never sent, and the guard, are
     * given up here. */
    op->submitted = op->nkeys;
    uint32_t drop = unsent + 1;
    if (atomic_fetch_sub_explicit(&op->pending, drop, memory_order_acq_rel) == drop) op_free(op);
}

/* ---- the reply FIFO ----------------------------------------------------------- */

vl_buf *conn_reply_buf(srv_conn *c) {
    if (!c->head) return &c->out;
    srv_op *op = op_new_done(c);
    if (!op) return &c->out; /* out of memory: keep order as best we can */
    return &op->reply;
}

void conn_replies_ready(srv_conn *c) {
    if (c->out_lost) return;
    while (c->head && c->head->done) {
        srv_op *op = c->head;
        c->head = op->next;
        if (!c->head) c->tail = NULL;
        c->inflight--;
        if (c->out.len == 0) { /* take the reply's buffer: no copy */
            vl_buf t = c->out;
            c->out = op->reply;
            op->reply = t;
        } else if (vl_buf_append(&c->out, op->reply.data, op->reply.len) != VL_OK) {
            op_free(op);
            c->out_lost = true; /* a reply is missing: nothing more may be sent */
            break;
        }
        op_free(op);
    }
    if (c->waiting_barrier && !c->head) c->waiting_barrier = false;
    conn_kick(c);
}

void conn_kick(srv_conn *c) {
    srv_shard *sh = c->sh;
    if (c->state == CONN_CLOSED) return;
    if (!c->in_tick) {
        c->in_tick = true;
        c->tick_next = sh->tick_head;
        sh->tick_head = c;
    }
    if (!sh->tick_posted) {
        sh->tick_posted = true;
        if (vl_post(sh->srv->svc, sh->index, &sh->tick) != VL_OK) sh->tick_posted = false;
    }
}

void conn_close_after_replies(srv_conn *c) {
    if (c->state != CONN_OPEN) return;
    c->state = CONN_CLOSING;
    conn_kick(c); /* the tick stops reading, and closes once all is written */
}
