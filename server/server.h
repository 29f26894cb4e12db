/*
 * server.h -- vellir-server's internals: the server, its shards, client
 * connections, commands in flight (ops), and the command table.
 *
 * Owns: the structures below and the interface between the server's files:
 *   config.c     command-line options and --help
 *   server.c     starting and stopping the server on a vellir service
 *   listen.c     the listening socket, accepting, handing off connections
 *   conn.c       a connection: reading, parsing, the reply FIFO, writing,
 *                backpressure, closing (its state machine is drawn there)
 *   op.c         an op: a command in flight, its parts on the key shards,
 *                their completion, the trip home to the connection's shard
 *   commands.c   the command table, lookup, arity, COMMAND
 *   cmd_*.c      the commands
 *   info.c       INFO
 *   value.c      the value type; vhash.c its hashes; resp*.c the protocol
 * Threads: the server is a client of the public headers only. A connection and
 * everything it owns belong to one shard thread (its "home"); an op belongs
 * to its home while it is parsed and answered, and to a key's shard while a
 * part of it runs there (the mailbox and vl_post hand it over).
 */
#ifndef VL_SERVER_SERVER_H
#define VL_SERVER_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "args.h"
#include "reply.h"
#include "resp.h"
#include "value.h"
#include "vellir.h"
#include "vellir_upstream.h"

/* Whether the SQLite upstream is part of this build (it is on main). */
#if defined(__has_include)
#if __has_include("vellir_sqlite.h")
#define SRV_HAVE_SQLITE 1
#endif
#endif
#ifndef SRV_HAVE_SQLITE
#define SRV_HAVE_SQLITE 0
#endif

struct srv;
struct srv_shard;
struct srv_conn;
struct srv_op;
struct srv_cmd;

/* ---- configuration (config.c) ----------------------------------------- */

typedef struct srv_config {
    char bind[64];
    uint32_t port;
    uint32_t shards;          /* 0: one per CPU the process may run on */
    bool durability_immediate;
    uint32_t within_ms;       /* durability within:MS */
    char data_dir[512];
    char db_path[512];        /* "": <data_dir>/vellir.db */
    char upstream[16];        /* "sqlite" or "memory" */
    int sqlite_sync;          /* 0 off, 1 normal, 2 full */
    uint64_t max_keys, max_bytes;
    uint32_t evict_policy;    /* vl_evict_policy */
    bool flush_enabled;       /* FLUSHALL / FLUSHDB allowed */
    uint32_t maxclients;
    uint64_t output_limit;    /* per client, bytes */
    uint32_t value_max;       /* largest stored value, bytes */
    int log_level;            /* vl_log_level */
    uint32_t mailbox;         /* per-shard mailbox cells; 0: default */
    uint32_t batch_max;       /* keys per upstream commit batch */
    uint32_t commit_inflight; /* commit batches in flight per shard */
    int64_t commit_gather_ms; /* -1: a quarter of within:MS */
    int64_t spin_us;          /* -1: the library's (VL_SPIN_US_DEFAULT) */
} srv_config;

void srv_config_init(srv_config *c);
/* Parses argv. Returns 0 to run, 1 when --help or --version printed what
 * was asked (exit 0), -1 on a bad option (a message was printed; exit 2). */
int srv_config_parse(srv_config *c, int argc, char **argv);
/* The durability as text: "immediate" or "within:MS". */
const char *srv_durability_text(const srv_config *c, char *buf, size_t cap);

/* ---- counters (per shard; the shard writes, INFO reads) ---------------- */

typedef struct srv_counters {
    _Atomic uint64_t commands, conns_total, rejected, net_in, net_out, kspace_hits,
        kspace_misses, output_disconnects, busy_stalls;
    _Atomic int64_t values; /* live values on this shard (value.h) */
    _Atomic int64_t ops;    /* ops alive whose home is this shard */
    _Atomic uint32_t conns; /* connections whose home is this shard */
} srv_counters;

#define SRV_ADD(sh, f, n)                                                          \
    atomic_store_explicit(&(sh)->ctr.f,                                            \
                          atomic_load_explicit(&(sh)->ctr.f, memory_order_relaxed) + (n), \
                          memory_order_relaxed)

/* ---- a shard ----------------------------------------------------------- */

typedef struct srv_shard {
    struct srv *srv;
    uint32_t index;
    uv_loop_t *loop;
    /* Connections at home here (a doubly linked list). */
    struct srv_conn *conns;
    /* Connections with work for the next tick: replies to write, input to
     * parse again (linked through srv_conn.tick_next). */
    struct srv_conn *tick_head;
    bool tick_posted;
    vl_task tick;
    /* Connections waiting out a full mailbox (VL_EBUSY), and their timer. */
    struct srv_conn *busy_head;
    uv_timer_t busy_timer;
    bool busy_timer_on;
    /* Ops kept for reuse. */
    struct srv_op *free_ops;
    uint32_t nfree;
    bool draining;   /* shutting down: no more input; close when answered */
    bool handles_open; /* busy_timer initialised and not yet closed */
    bool torn_down;    /* the server's part of the shard is gone */
    srv_counters ctr;
} srv_shard;

/* ---- the server (server.c) -------------------------------------------- */

typedef struct srv {
    srv_config cfg;
    vl_service *svc;
    uint32_t nshards;
    srv_shard *shards;
    vl_policy write_policy; /* from cfg: vl_immediate() or vl_within(ms) */
    int64_t start_ms;       /* wall clock */
    uint16_t port;          /* the port actually bound */
    char upstream_desc[1200];
    vl_upstream up;         /* for its own statistics (SQLite) */
    _Atomic uint64_t next_client_id;
    _Atomic int shutdown_asked; /* SHUTDOWN or a signal */
    _Atomic int stopping;       /* no more accepting */
    _Atomic uint32_t ops_out;   /* ops alive (all shards) */
    struct srv_listener *listener; /* shard 0's */
    void (*on_shutdown)(struct srv *s); /* SHUTDOWN: tell main */
    /* Setup and teardown handshakes with the main thread. */
    _Atomic uint32_t setup_done, teardown_done;
    _Atomic int setup_status;
} srv;

/* Any thread, before the service opens: fills s from cfg. */
void srv_init(srv *s, const srv_config *cfg);
/* Main thread: sets up every shard, then listens. VL_OK or a failure (a
 * message was printed). */
vl_status srv_start(srv *s, vl_service *svc);
/* Main thread: stops accepting, lets connections finish what is in flight
 * (at most VL_SRV_DRAIN_MS), closes them and every handle of the server. */
void srv_stop(srv *s);
/* Main thread, after vl_close: frees what srv_start made. */
void srv_free(srv *s);
/* A signal or SHUTDOWN asked the server to stop (any thread). */
void srv_request_shutdown(srv *s);

/* The server's shard of the calling thread (NULL elsewhere). */
srv_shard *srv_self(void);

/* ---- listen.c ---------------------------------------------------------- */

/* On shard 0's thread: binds and listens. Returns 0 or a negative errno. */
int listener_start(srv *s);
/* On shard 0's thread: closes the listening socket. */
void listener_stop(srv *s);

/* ---- a connection (conn.c) --------------------------------------------- */

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

/* On the target shard's thread: adopts the accepted socket fd. */
void conn_adopt(srv_shard *sh, int fd);
/* Some work for the connection on its shard's next tick. */
void conn_kick(srv_conn *c);
/* Shard tick: serves every kicked connection. */
void shard_tick(vl_task *t);
/* The busy timer: kicks connections that waited out a full mailbox. */
void shard_busy_cb(uv_timer_t *t);
/* Starts closing every connection of the shard (shutdown). */
void conn_drain_all(srv_shard *sh);
/* Closes every connection now (after the drain deadline). */
void conn_close_all(srv_shard *sh);

/* The buffer for an immediate reply of the command being dispatched: the
 * output itself when nothing is ahead of it, else a finished op's. */
vl_buf *conn_reply_buf(srv_conn *c);
/* After a protocol error or QUIT: answer what is under way, then close. */
void conn_close_after_replies(srv_conn *c);

/* ---- an op (op.c) ------------------------------------------------------ */

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
    const struct srv_cmd *cmd;
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
srv_op *op_new(srv_conn *c, const struct srv_cmd *cmd, const vl_resp_arg *argv, size_t argc);
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
/* The completion of a part's write (vl_write's done). */
void part_write_done(void *arg, vl_status st);
/* An op whose reply is already complete (an immediate reply queued behind
 * others), linked into the FIFO. */
srv_op *op_new_done(srv_conn *c);
void op_free(srv_op *op);
/* Home: the op's parts are all done; finish its reply (or start another
 * phase) and let the connection send what is in order. */
void op_arrived(srv_op *op);
/* Frees the cached ops of a shard. */
void op_cache_free(srv_shard *sh);

/* The reply buffer a part writes to. */
static inline vl_buf *part_buf(srv_part *p) {
    return p->op->multi ? &p->out : &p->op->reply;
}

/* Fails a part: its error is the op's reply (the first failure wins). */
void part_fail(srv_part *p, vl_status st);

/* ---- commands (commands.c, cmd_*.c) ------------------------------------- */

/* Command flags. */
enum {
    CMD_WRITE = 1,    /* changes keys (denied nothing; for COMMAND INFO) */
    CMD_BARRIER = 2,  /* runs alone: after every earlier command of the
                         connection answered, before any later one starts */
    CMD_KEYS = 4      /* takes keys at first..last by step */
};

/* A command's home-side handler: checks and parses the arguments, then
 * answers at once (conn_reply_buf) or starts an op. argv[0] is the name. */
typedef void (*srv_cmd_fn)(srv_conn *c, const struct srv_cmd *cmd, const vl_resp_arg *argv,
                           size_t argc);
/* Home: an op's parts are all done; builds the reply into op->reply and
 * returns true, or starts another phase and returns false. NULL: the
 * single part already wrote op->reply. */
typedef bool (*srv_home_fn)(srv_op *op);

typedef struct srv_cmd {
    const char *name;      /* lowercase */
    int arity;             /* Redis's: n exact, -n at least n */
    uint32_t flags;        /* CMD_* */
    int first, last, step; /* key positions (COMMAND INFO) */
    srv_cmd_fn run;
    srv_home_fn home;
    const char *rflags;    /* COMMAND INFO flags, e.g. "readonly,fast" */
    const char *acl;       /* "@read,@string,@fast" */
    const char *tips;      /* "" or "nondeterministic_output,..." */
    const char *keyspec;   /* key-spec flags "RO,access"; "" without keys */
    const char *group, *since, *complexity, *summary; /* COMMAND DOCS */
    const struct srv_cmd *subs; /* subcommands, NULL-name terminated */
} srv_cmd;

/* The command named n bytes at p (any case), or NULL. */
const srv_cmd *cmd_lookup(const uint8_t *p, size_t n);
/* The subcommand of `parent` named p[0..n), or NULL. */
const srv_cmd *cmd_sub_lookup(const srv_cmd *parent, const uint8_t *p, size_t n);
/* Dispatches one request of the connection (argc >= 1). Returns false when
 * the request must wait (a barrier command with commands still under way):
 * it is then parsed again once the FIFO is empty. */
bool cmd_dispatch(srv_conn *c, const vl_resp_arg *argv, size_t argc);
/* Number of top-level commands. */
size_t cmd_count(void);

/* Tables of the command families (cmd_*.c). */
extern const srv_cmd cmd_string_table[];
extern const srv_cmd cmd_counter_table[];
extern const srv_cmd cmd_keys_table[];
extern const srv_cmd cmd_hash_table[];
extern const srv_cmd cmd_server_table[];

/* ---- starting ops (commands.c) ------------------------------------------ */

/* A single-key op over argv[1] with fn, not started yet (set its fields,
 * then op_start), or NULL after replying an error. */
srv_op *new_key_op(srv_conn *c, const struct srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                   srv_keyfn fn);
/* Starts a single-key op over argv[1] with fn; the op's later arguments
 * are argv[2..]. Returns the op (started) or NULL (an error was replied). */
srv_op *start_key_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                     srv_keyfn fn, int64_t n1, int64_t n2, uint32_t flags);
/* ---- info.c ------------------------------------------------------------- */

/* Appends the INFO text of the sections asked (argv after INFO). */
void info_text(srv *s, srv_conn *c, const vl_resp_arg *argv, size_t argc, vl_buf *out);
/* Sum of the live values of every shard (DBSIZE). */
int64_t srv_dbsize(srv *s);

#endif
