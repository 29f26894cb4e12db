/*
 * conn.h -- a client connection (srv_conn) and the commands it has in
 * flight (ops: srv_op, with a part per key), and the reply FIFO that keeps
 * their answers in request order.
 *
 * Owns: srv_conn, srv_op, srv_part. A connection has two sides:
 *   op.c    its command side: ops, their parts on the keys' shards, their
 *           trip home, and the reply FIFO (the functions below). The
 *           commands use it; it calls no command and nothing of conn.c.
 *   conn.c  its socket side (net.h): reading, parsing, dispatching to the
 *           commands, writing, closing. It is above the commands.
 * The two meet only through this structure and the shard's tick: op.c
 * kicks the connection (conn_kick), conn.c does the work on the tick.
 * Threads: a connection and everything it owns belong to one shard thread
 * (its "home"); an op belongs to its home while it is parsed and answered,
 * and to a key's shard while a part of it runs there (the mailbox and
 * vl_post hand it over); op.c's header tells which fields a part may touch.
 *
 * Layer: above shard.h, command.h, args.h and reply.h; below the command
 * families (cmd_util.h).
 */
#ifndef VL_SERVER_CONN_H
#define VL_SERVER_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "args.h"
#include "command.h"
#include "resp.h"
#include "shard.h"
#include "vellir.h"
#include "vellir_limits.h"

/* ---- a connection ------------------------------------------------------- */

enum { CONN_OPEN = 0, CONN_CLOSING, CONN_CLOSED };

/* Why a connection's input is not being parsed now (bits). */
enum {
    WAIT_INFLIGHT = 1, /* VL_SRV_CONN_INFLIGHT_MAX commands under way */
    WAIT_OUTPUT = 2,   /* VL_SRV_OUTPUT_SOFT bytes of replies unsent */
    WAIT_BARRIER = 4,  /* a command that needs the pipeline to itself */
    WAIT_BUSY = 8      /* a shard's mailbox was full */
};

typedef struct srv_conn {
    uv_tcp_t tcp;            /* first: the handle's address is the conn's */
    srv_shard *sh;
    struct srv_conn *prev, *next;
    struct srv_conn *tick_next;
    struct srv_conn *busy_next;
    uint64_t id;
    uint8_t state;           /* CONN_* */
    uint8_t proto;           /* 2 or 3 */
    bool reading;            /* uv_read_start is on */
    bool in_tick, in_busy;
    bool handle_closed;      /* uv_close's callback ran */
    bool barrier;            /* a barrier op is under way */
    bool waiting_barrier;    /* a barrier command waits for the FIFO to empty */
    bool wants_input;        /* the buffered input ends in a partial request */
    bool out_lost;           /* a reply could not be queued (no memory): conn.c
                                closes the connection at its next turn */
    uint32_t inflight;       /* ops in the FIFO */
    char *name;              /* CLIENT SETNAME */
    vl_resp_parser ps;
    vl_buf in;
    size_t in_pos;           /* unparsed input: in.data[in_pos..in.len) */
    struct srv_op *head, *tail; /* the reply FIFO */
    struct srv_op *resume;   /* an op waiting to submit its remaining parts */
    vl_buf out;              /* replies not yet handed to the kernel */
    vl_buf wbuf;             /* bytes of the uv_write in progress */
    size_t wpos;
    bool writing;
    uv_write_t wreq;
    char addr[64];
    int64_t since_ms;
} srv_conn;

/* ---- the reply FIFO (op.c) ------------------------------------------------- */

/* The buffer for an immediate reply of the command being dispatched: the
 * output itself when nothing is ahead of it, else a finished op's. */
vl_buf *conn_reply_buf(srv_conn *c);
/* Moves every finished reply at the head of the FIFO to the output and
 * kicks the connection. */
void conn_replies_ready(srv_conn *c);
/* Some work for the connection on its shard's next tick (conn.c's
 * shard_tick: parse what waits, write the output, close). */
void conn_kick(srv_conn *c);
/* After a protocol error, QUIT, SHUTDOWN or the drain: nothing more is
 * read or parsed; what is under way is answered, then the connection
 * closes (on its tick). */
void conn_close_after_replies(srv_conn *c);

/* ---- an op (op.c) ----------------------------------------------------------- */

/* One key's part of an op. */
typedef struct srv_part {
    struct srv_op *op;
    uint32_t idx;
    vl_buf out; /* MGET: this key's reply; others: unused */
} srv_part;

/* What a command does on a key's shard, per key. */
typedef struct srv_keyfn {
    vl_read_cb read;   /* a read (vl_read), or */
    vl_write_fn write; /* a write (vl_write), whose done is op.c's */
} srv_keyfn;

typedef struct srv_op {
    vl_task task;             /* the trip home (vl_post) */
    srv_conn *conn;           /* NULL once the connection is gone */
    srv_shard *home;
    struct srv_op *next;      /* the FIFO, or the free list */
    const srv_cmd *cmd;
    uint8_t proto;
    bool done;                /* the reply is complete (home side) */
    bool is_barrier;
    bool multi;               /* parts reply into their own buffers */
    bool blind;               /* writes need no load (vl_write_blind) */
    uint8_t phase;            /* multi-phase commands (MSETNX) */
    _Atomic uint32_t pending; /* parts running + 1 while submitting */
    uint32_t nkeys;           /* parts */
    uint32_t submitted;       /* parts handed to the cache so far */
    _Atomic int64_t sum;      /* DEL, EXISTS, ...: parts add here */
    _Atomic int err;          /* first failure of a part (vl_status) */
    srv_keyfn fn;             /* what each part does */
    /* Or a submission of its own (FLUSHALL: vl_clear), whose completion
     * finishes the part. VL_EBUSY retries it like a full mailbox. */
    vl_status (*submit)(struct srv_op *op, uint32_t i);
    vl_policy policy;         /* the server's write policy */
    /* Command-specific arguments parsed at home. */
    int64_t n1, n2;
    uint32_t flags;
    /* The command's arguments after its name, copied. */
    uint32_t argc;
    srv_arg *argv;
    srv_part *parts;          /* nkeys parts (multi-key) */
    /* A command's own state (SCAN's pages), freed with the op by ext_free. */
    void *ext;
    void (*ext_free)(void *ext);
    /* Fields from here on are not cleared by op_alloc (each is set before
     * use: ld by the float commands, reply and store keep their memory). */
    long double ld;
    vl_buf reply;             /* the reply (single-key ops, immediate ones) */
    srv_part part1;           /* the part of a single-key op */
    vl_buf store;             /* argument bytes and vectors (heap) */
    srv_arg argv_inl[4];
    uint8_t inl[VL_SRV_OP_INLINE];
} srv_op;

/* A new op for the command at home; the arguments after the command name
 * (argv[1..argc)) are copied. NULL if out of memory. */
srv_op *op_new(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc);
/* Sets up `nkeys` parts, the keys being argv[first + i*step]. VL_OK or
 * VL_ENOMEM. */
vl_status op_parts(srv_op *op, uint32_t nkeys);
/* The key of part i. */
srv_arg op_key(const srv_op *op, uint32_t i);
/* Links the op into its connection's FIFO and submits its parts. */
void op_start(srv_op *op);
/* Continues submitting after VL_EBUSY (from the busy timer). Returns
 * false if the mailbox is still full. */
bool op_resume(srv_op *op);
/* A part finished (on the key's shard): the last one sends the op home. */
void part_done(srv_part *p);
/* Gives an op back to its shard's cache (home). */
void op_free(srv_op *op);
/* The connection is closing at once: the op is detached from it and frees
 * itself when its parts are done (now, if it is already answered). */
void op_abandon(srv_op *op);
/* Frees the cached ops of a shard. */
void op_cache_free(srv_shard *sh);

/* The reply buffer a part writes to. */
static inline vl_buf *part_buf(srv_part *p) {
    return p->op->multi ? &p->out : &p->op->reply;
}

/* Fails a part: its error is the op's reply (the first failure wins). */
void part_fail(srv_part *p, vl_status st);

#endif
