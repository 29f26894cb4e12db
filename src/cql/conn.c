/*
 * conn.c -- one asynchronous CQL connection in a libuv loop (see conn.h).
 *
 * Owns: cql_conn, its socket (one `sock` per connection attempt), its
 * requests (cql_req), its prepared statements (cql_stmt), its three timers
 * (requests, connecting, heartbeats).
 * Threads: the loop's thread only, like every callback it makes.
 *
 * ==== The connection state machine ====
 *
 *   IDLE --start--> CONNECTING            TCP connect; the connect timer runs
 *   CONNECTING --connected--> OPTIONS     send OPTIONS
 *   OPTIONS --SUPPORTED--> STARTUP        check PROTOCOL_VERSIONS; send STARTUP
 *   STARTUP --READY--> (after auth)
 *   STARTUP --AUTHENTICATE--> AUTH        send SASL PLAIN "\0user\0password"
 *   AUTH --AUTH_CHALLENGE--> AUTH         answer again, VL_CQL_AUTH_ROUNDS_MAX at most
 *   AUTH --AUTH_SUCCESS--> (after auth)
 *   (after auth) --keyspace--> KEYSPACE   send USE "ks"
 *   (after auth) --no keyspace--> (after use)
 *   KEYSPACE --Set_keyspace--> (after use)
 *   (after use) --events--> REGISTER      send REGISTER for them
 *   (after use) --no events--> PREPARING
 *   REGISTER --READY--> PREPARING         PREPARE every registered statement
 *   PREPARING --all prepared--> READY     the queued requests go out
 *
 *   CONNECTING..PREPARING --error, EOF, connect timer--> BACKOFF
 *       (an attempt failed: the requests waiting for it fail with its status,
 *        and submissions fail at once with it until the next attempt)
 *   BACKOFF --timer (base * 2^n, capped, half jittered)--> CONNECTING
 *   READY --EOF, I/O error, bad frame, stuck node, unanswered heartbeat-->
 *       CONNECTING at once (requests on the wire fail VL_EUNAVAILABLE:
 *       nobody knows whether the server applied them; queued ones wait for
 *       the new connection)
 *   any --vl__cql_conn_close--> CLOSED
 *
 * Version negotiation: the attempt's version goes in every request header,
 * and replies are accepted in any version during the handshake (Cassandra
 * answers OPTIONS in the version it was asked in; a server refusing a version
 * answers Protocol_error in its own). SUPPORTED's PROTOCOL_VERSIONS, when the
 * server sends it, must list ours. Only v4 exists today; when v5 framing
 * lands, an attempt refused with Protocol_error steps down one version and
 * tries again at once (the place is marked in handshake_error).
 *
 * ==== Requests ====
 *
 * Every request (the handshake's and the user's) is a cql_req on `live`, in
 * deadline order: every request gets the same timeout when it is made, so
 * submission order is deadline order and one timer, armed for the head, is
 * enough. Besides, a request is in exactly one place (`where`):
 *
 *   W_QUEUED  on `queue`, waiting for READY or for a free stream id (the
 *             window is cql_streams' limit); the handshake's own requests
 *             go to its front;
 *   W_WIRE    sent; wire[stream] points to it;
 *   W_STMT    parked on its statement, waiting for the statement's PREPARE
 *             (first use, or after an Unprepared answer);
 *   W_FAILED  on `failed`: it could not be encoded (out of memory), and is
 *             completed from the timer, never inside a submission.
 *
 * A response frees its stream id and completes its request. A request that
 * times out orphans its id (streams.h), so a late answer is recognised and
 * dropped; a connection with too many orphans is replaced. A request may
 * have its own timeout (vl__cql_conn_query_timeout): it is then put in its
 * place in `live`, found from the tail (nearly always at once, since nearly
 * every request has the connection's timeout). Unprepared marks
 * the statement unprepared, parks the request on it (once per request), and
 * sends one PREPARE for all of them; its answer sends them again.
 *
 * Heartbeats: the heartbeat timer ticks every heartbeat_ms; a READY
 * connection that has read nothing since the last tick sends OPTIONS (one at
 * a time), as one of its own requests: an answer of any kind proves the peer
 * alive, and no answer within the request timeout replaces the connection,
 * as any unanswered request of the connection's own does. Events (stream
 * -1) go to on_event.
 *
 * Re-entrancy: callbacks may submit, or close the connection. So the code
 * detaches what it is about to complete (collect, reset, then call back),
 * and every loop over incoming frames checks that its socket is still the
 * connection's after each callback.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cql/conn.h"
#include "cql/streams.h"
#include "util/clock.h"
#include "util/rng.h"

#define CONTAINER(p, T, m) ((T *)(void *)((char *)(p) - offsetof(T, m)))

/* ---- an intrusive doubly-linked list ------------------------------------ */

typedef struct qlink {
    struct qlink *prev, *next;
} qlink;

static void l_init(qlink *h) { h->prev = h->next = h; }
static bool l_empty(const qlink *h) { return h->next == h; }
static void l_unlink(qlink *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}
static void l_push_back(qlink *h, qlink *n) {
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}
static void l_push_front(qlink *h, qlink *n) {
    n->next = h->next;
    n->prev = h;
    h->next->prev = n;
    h->next = n;
}

/* ---- the structures --------------------------------------------------------- */

typedef enum req_kind {
    K_OPTIONS, K_STARTUP, K_AUTH, K_USE, K_REGISTER, K_PREPARE, K_HEARTBEAT, /* the connection's own */
    K_QUERY, K_EXECUTE                                                     /* the user's */
} req_kind;

typedef enum req_where { W_NONE, W_QUEUED, W_WIRE, W_STMT, W_FAILED } req_where;

typedef struct cql_req {
    qlink live;  /* c->live, deadline order */
    qlink wait;  /* c->queue or stmt->waiting, per `where` */
    uint8_t kind, where;
    bool reprepared;
    int16_t stream;
    vl_status result; /* for requests completed from c->failed */
    int64_t deadline_us;
    cql_stmt *stmt;
    const char *query;
    cql_params params;
    cql_value values[VL_CQL_REQ_VALUES_MAX];
    cql_bind_fn bind;
    cql_conn_cb cb;
    void *arg;
} cql_req;

struct cql_stmt {
    qlink node;    /* c->stmts */
    qlink waiting; /* requests parked until this statement is prepared */
    uint8_t *id;
    size_t id_len;
    bool prepared, preparing;
    size_t len;
    char query[];
};

/* One connection attempt's socket and buffers. It outlives its attempt until
 * libuv has closed it (writes in flight are cancelled first). */
typedef struct sock {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t wreq;
    cql_conn *conn; /* NULL once detached (closing) */
    vl_buf out[2];  /* out[fill] collects frames; the other one is being written */
    int fill;
    bool writing;
    vl_buf in;
    size_t need; /* total bytes the frame at the front of `in` needs */
} sock;

struct cql_conn {
    uv_loop_t *loop;
    cql_conn_opts o;
    char *use_query;
    struct sockaddr_storage addr;
    cql_conn_state state;
    vl_status last_error;
    uint8_t version;
    cql_conf send_conf, recv_conf;
    sock *s;
    cql_streams streams;
    cql_req **wire; /* VL_CQL_STREAMS_MAX slots */
    qlink live, queue, stmts, failed;
    uint32_t queued;
    uint32_t preparing;  /* handshake PREPAREs outstanding */
    uint32_t auth_rounds;
    uint32_t failures;   /* consecutive failed attempts */
    int cork;
    bool pumping;
    uv_timer_t req_timer, conn_timer, hb_timer;
    int handles;
    bool hb_out;        /* a heartbeat is unanswered */
    int64_t last_rx_us; /* when the socket last gave bytes */
    char name[64];      /* "address:port", for messages */
    vl_rng rng;
    void (*closed)(void *);
    void *closed_arg;
    char detail[256];
    cql_conn_stats st;
};

/* ---- small helpers ---------------------------------------------------------- */

static const char *const state_names[] = {
    "IDLE", "CONNECTING", "OPTIONS", "STARTUP", "AUTH",
    "KEYSPACE", "REGISTER", "PREPARING", "READY", "BACKOFF", "CLOSED"};

const char *vl__cql_conn_state_name(cql_conn_state st) {
    return (unsigned)st < sizeof state_names / sizeof *state_names ? state_names[st] : "?";
}

static bool handshaking(const cql_conn *c) {
    return c->state >= CQL_CONN_CONNECTING && c->state <= CQL_CONN_PREPARING;
}

static bool is_internal(const cql_req *q) { return q->kind < K_QUERY; }

static void set_state(cql_conn *c, cql_conn_state st, vl_status why, const char *detail) {
    c->state = st;
    if (c->o.on_state) c->o.on_state(c->o.on_state_arg, st, why, detail ? detail : "");
}

static const char *fmt_detail(cql_conn *c, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static const char *fmt_detail(cql_conn *c, const char *fmt, va_list ap) {
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    return c->detail;
}

static void conn_lost(cql_conn *c, vl_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void attempt_failed(cql_conn *c, vl_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pump(cql_conn *c);
static void attempt(cql_conn *c);
static void on_req_timer(uv_timer_t *t);
static void on_conn_timer(uv_timer_t *t);
static void on_hb_timer(uv_timer_t *t);

/* ---- options ---------------------------------------------------------------- */

void vl__cql_conn_opts_init(cql_conn_opts *o) {
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 9042;
    o->version = CQL_V4;
    o->inflight = VL_CQL_INFLIGHT_DEFAULT;
    o->queue_max = VL_CQL_QUEUE_DEFAULT;
    o->connect_timeout_ms = VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT;
    o->request_timeout_ms = VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT;
    o->reconnect_base_ms = VL_CQL_RECONNECT_BASE_MS_DEFAULT;
    o->reconnect_cap_ms = VL_CQL_RECONNECT_CAP_MS_DEFAULT;
}

static char *dup_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

/* A keyspace name as Cassandra allows it: letters, digits, underscores. */
static bool name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > VL_CASSANDRA_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_';
        if (!ok) return false;
    }
    return true;
}

static vl_status parse_addr(const char *host, uint16_t port, struct sockaddr_storage *out) {
    if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)out) == 0) return VL_OK;
    if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)out) == 0) return VL_OK;
    return VL_EINVAL;
}

static void fill_defaults(cql_conn_opts *o) {
    if (!o->port) o->port = 9042;
    if (!o->version) o->version = CQL_V4;
    if (!o->inflight) o->inflight = VL_CQL_INFLIGHT_DEFAULT;
    if (!o->queue_max) o->queue_max = VL_CQL_QUEUE_DEFAULT;
    if (!o->connect_timeout_ms) o->connect_timeout_ms = VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT;
    if (!o->request_timeout_ms) o->request_timeout_ms = VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT;
    if (!o->reconnect_base_ms) o->reconnect_base_ms = VL_CQL_RECONNECT_BASE_MS_DEFAULT;
    if (!o->reconnect_cap_ms) o->reconnect_cap_ms = VL_CQL_RECONNECT_CAP_MS_DEFAULT;
    if (o->reconnect_cap_ms < o->reconnect_base_ms) o->reconnect_cap_ms = o->reconnect_base_ms;
}

static vl_status check_opts(const cql_conn_opts *o) {
    if (!o->host && !o->addr) return VL_EINVAL;
    if (o->addr && o->addr->sa_family != AF_INET && o->addr->sa_family != AF_INET6)
        return VL_EINVAL;
    if (o->version != CQL_V4) return VL_EINVAL; /* v5 framing is not written yet */
    if ((o->user == NULL) != (o->password == NULL)) return VL_EINVAL;
    if (o->keyspace && !name_ok(o->keyspace)) return VL_EINVAL;
    return VL_OK;
}

static void free_conn(cql_conn *c) {
    while (!l_empty(&c->stmts)) {
        cql_stmt *s = CONTAINER(c->stmts.next, cql_stmt, node);
        l_unlink(&s->node);
        free(s->id);
        free(s);
    }
    free((char *)c->o.host);
    free((char *)c->o.user);
    free((char *)c->o.password);
    free((char *)c->o.keyspace);
    free(c->use_query);
    free(c->wire);
    free(c);
}

/* The address to connect to, and the name messages give it. */
static vl_status set_addr(cql_conn *c, const cql_conn_opts *o) {
    if (!o->addr) {
        snprintf(c->name, sizeof c->name, "%s:%u", o->host, o->port);
        return parse_addr(o->host, o->port, &c->addr);
    }
    size_t len = o->addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                               : sizeof(struct sockaddr_in6);
    memcpy(&c->addr, o->addr, len);
    char ip[64] = "?";
    int port = 0;
    if (o->addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)o->addr;
        uv_ip4_name(a, ip, sizeof ip);
        port = ntohs(a->sin_port);
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)o->addr;
        uv_ip6_name(a, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    }
    snprintf(c->name, sizeof c->name, o->addr->sa_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip,
             port);
    c->o.port = (uint16_t)port;
    return VL_OK;
}

static vl_status copy_strings(cql_conn *c, const cql_conn_opts *o) {
    c->o.host = dup_or_null(o->host);
    c->o.user = dup_or_null(o->user);
    c->o.password = dup_or_null(o->password);
    c->o.keyspace = dup_or_null(o->keyspace);
    if ((o->host && !c->o.host) || (o->user && (!c->o.user || !c->o.password))) return VL_ENOMEM;
    if (o->keyspace) {
        size_t n = strlen(o->keyspace) + 8;
        c->use_query = malloc(n);
        if (!c->o.keyspace || !c->use_query) return VL_ENOMEM;
        snprintf(c->use_query, n, "USE \"%s\"", o->keyspace);
    }
    return VL_OK;
}

vl_status vl__cql_conn_new(uv_loop_t *loop, const cql_conn_opts *opts, cql_conn **out) {
    cql_conn_opts o = *opts;
    fill_defaults(&o);
    vl_status st = check_opts(&o);
    if (st != VL_OK) return st;
    cql_conn *c = calloc(1, sizeof *c);
    if (!c) return VL_ENOMEM;
    c->o = o;
    c->o.host = c->o.user = c->o.password = c->o.keyspace = NULL;
    c->o.addr = NULL;
    l_init(&c->live);
    l_init(&c->queue);
    l_init(&c->stmts);
    l_init(&c->failed);
    st = copy_strings(c, &o);
    if (st == VL_OK) st = set_addr(c, &o);
    c->wire = st == VL_OK ? calloc(VL_CQL_STREAMS_MAX, sizeof *c->wire) : NULL;
    if (st == VL_OK && !c->wire) st = VL_ENOMEM;
    if (st != VL_OK) {
        free_conn(c);
        return st;
    }
    c->loop = loop;
    c->version = o.version;
    (void)vl__cql_conf_init(&c->send_conf, c->version);
    vl__cql_streams_init(&c->streams, o.inflight);
    c->rng.s = (uint64_t)vl__mono_us() ^ (uint64_t)(uintptr_t)c;
    uv_timer_init(loop, &c->req_timer);
    uv_timer_init(loop, &c->conn_timer);
    uv_timer_init(loop, &c->hb_timer);
    c->req_timer.data = c->conn_timer.data = c->hb_timer.data = c;
    c->handles = 3;
    *out = c;
    return VL_OK;
}

cql_stmt *vl__cql_conn_statement(cql_conn *c, const char *query) {
    size_t n = strlen(query);
    cql_stmt *s = calloc(1, sizeof *s + n + 1);
    if (!s) return NULL;
    memcpy(s->query, query, n + 1);
    s->len = n;
    l_init(&s->waiting);
    l_push_back(&c->stmts, &s->node);
    return s;
}

/* ---- writing ------------------------------------------------------------------ */

static void on_write(uv_write_t *w, int status);

/* Sends what collected in the fill buffer, unless corked or a write is out. */
static void flush(cql_conn *c) {
    sock *s = c->s;
    if (c->cork || !s || s->writing || s->out[s->fill].len == 0) return;
    if (c->state == CQL_CONN_CONNECTING) return; /* not connected yet */
    vl_buf *b = &s->out[s->fill];
    uv_buf_t ub = uv_buf_init((char *)b->data, (unsigned)b->len);
    s->writing = true;
    s->fill ^= 1;
    int r = uv_write(&s->wreq, (uv_stream_t *)&s->tcp, &ub, 1, on_write);
    if (r < 0) {
        s->writing = false;
        conn_lost(c, VL_EUNAVAILABLE, "write: %s", uv_strerror(r));
    }
}

static void on_write(uv_write_t *w, int status) {
    sock *s = CONTAINER(w, sock, wreq);
    s->writing = false;
    s->out[s->fill ^ 1].len = 0;
    cql_conn *c = s->conn;
    if (!c) return;
    if (status < 0) {
        conn_lost(c, VL_EUNAVAILABLE, "write: %s", uv_strerror(status));
        return;
    }
    flush(c);
}

void vl__cql_conn_cork(cql_conn *c) { c->cork++; }

void vl__cql_conn_uncork(cql_conn *c) {
    if (c->cork > 0 && --c->cork == 0) flush(c);
}

/* ---- requests: making, sending, completing --------------------------------------- */

static void arm_req_timer(cql_conn *c) {
    if (l_empty(&c->live)) {
        uv_timer_stop(&c->req_timer);
        return;
    }
    cql_req *q = CONTAINER(c->live.next, cql_req, live);
    int64_t left = q->deadline_us - vl__mono_us();
    uint64_t ms = left > 0 ? (uint64_t)(left + 999) / 1000 : 0;
    uv_timer_start(&c->req_timer, on_req_timer, ms, 0);
}

/* A new request on `live`, in deadline order: found from the tail, where a
 * request with the connection's timeout always goes. */
static cql_req *req_new(cql_conn *c, req_kind kind, uint32_t timeout_ms) {
    cql_req *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->kind = (uint8_t)kind;
    q->stream = -1;
    l_init(&q->wait);
    q->deadline_us = vl__mono_us() + (int64_t)timeout_ms * 1000;
    qlink *after = c->live.prev;
    while (after != &c->live && CONTAINER(after, cql_req, live)->deadline_us > q->deadline_us)
        after = after->prev;
    l_push_front(after, &q->live);
    if (c->live.next == &q->live || !uv_is_active((uv_handle_t *)&c->req_timer)) arm_req_timer(c);
    return q;
}

static void enqueue(cql_conn *c, cql_req *q, bool front) {
    q->where = W_QUEUED;
    if (front) l_push_front(&c->queue, &q->wait);
    else l_push_back(&c->queue, &q->wait);
    c->queued++;
}

/* Takes a request out of wherever it waits (not off the wire). */
static void unqueue(cql_conn *c, cql_req *q) {
    if (q->where == W_QUEUED) c->queued--;
    l_unlink(&q->wait);
    q->where = W_NONE;
}

/* A user request's end: unlink, call back, free. */
static void complete(cql_conn *c, cql_req *q, vl_status st, const cql_response *r) {
    l_unlink(&q->live);
    if (q->where != W_WIRE) unqueue(c, q);
    c->st.requests++;
    q->cb(q->arg, st, r);
    free(q);
}

static void drop_internal(cql_conn *c, cql_req *q) {
    l_unlink(&q->live);
    if (q->where != W_WIRE) unqueue(c, q);
    if (q->kind == K_PREPARE) q->stmt->preparing = false;
    if (q->kind == K_HEARTBEAT) c->hb_out = false;
    free(q);
}

/* Sends one of the connection's own requests ahead of everything queued. */
static void send_internal(cql_conn *c, req_kind kind, cql_stmt *stmt) {
    cql_req *q = req_new(c, kind, c->o.request_timeout_ms);
    if (!q) {
        conn_lost(c, VL_ENOMEM, "out of memory");
        return;
    }
    q->stmt = stmt;
    if (kind == K_PREPARE) stmt->preparing = true;
    enqueue(c, q, true);
    pump(c);
}

/* Parks an EXECUTE on its statement until it is prepared. */
static void park(cql_conn *c, cql_req *q) {
    cql_stmt *s = q->stmt;
    q->where = W_STMT;
    l_push_back(&s->waiting, &q->wait);
    if (!s->preparing && c->state == CQL_CONN_READY) send_internal(c, K_PREPARE, s);
}

static vl_status encode_register(cql_conn *c, int16_t id, vl_buf *b) {
    static const char *const names[] = {"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"};
    const char *asked[3];
    uint16_t n = 0;
    for (unsigned i = 0; i < 3; i++)
        if (c->o.events & (1u << i)) asked[n++] = names[i];
    return vl__cql_encode_register(&c->send_conf, id, asked, n, b);
}

static vl_status encode(cql_conn *c, cql_req *q, int16_t id, vl_buf *b) {
    const cql_conf *cf = &c->send_conf;
    cql_params one = {.consistency = CQL_ONE};
    switch ((req_kind)q->kind) {
    case K_OPTIONS: return vl__cql_encode_options(cf, id, b);
    case K_STARTUP: return vl__cql_encode_startup(cf, id, b);
    case K_AUTH:
        return vl__cql_encode_auth_plain(cf, id, vl__cql_str(c->o.user), vl__cql_str(c->o.password), b);
    case K_USE: return vl__cql_encode_query(cf, id, vl__cql_str(c->use_query), &one, b);
    case K_REGISTER: return encode_register(c, id, b);
    case K_HEARTBEAT: return vl__cql_encode_options(cf, id, b);
    case K_PREPARE:
        return vl__cql_encode_prepare(cf, id, vl__cql_slice_of(q->stmt->query, q->stmt->len), b);
    case K_QUERY: return vl__cql_encode_query(cf, id, vl__cql_str(q->query), &q->params, b);
    case K_EXECUTE:
        if (q->bind) q->bind(q->arg, q->values, q->params.n_values);
        return vl__cql_encode_execute(cf, id, vl__cql_slice_of(q->stmt->id, q->stmt->id_len),
                                  &q->params, b);
    }
    return VL_EINTERNAL;
}

/* Puts one queued request on the wire. False when it must wait (no stream). */
static bool send_one(cql_conn *c, cql_req *q) {
    if (q->kind == K_EXECUTE && !q->stmt->prepared) {
        unqueue(c, q);
        park(c, q);
        return true;
    }
    int32_t id = vl__cql_streams_acquire(&c->streams);
    if (id < 0) return false;
    unqueue(c, q);
    vl_status st = encode(c, q, (int16_t)id, &c->s->out[c->s->fill]);
    if (st != VL_OK) {
        (void)vl__cql_streams_release(&c->streams, (int16_t)id);
        if (is_internal(q)) {
            drop_internal(c, q);
            conn_lost(c, st, "cannot encode a handshake request: %s", vl_strerror(st));
            return false;
        }
        q->result = st; /* completed from the timer: never inside a submission */
        q->where = W_FAILED;
        l_push_back(&c->failed, &q->wait);
        uv_timer_start(&c->req_timer, on_req_timer, 0, 0);
        return true;
    }
    q->stream = (int16_t)id;
    q->where = W_WIRE;
    c->wire[id] = q;
    return true;
}

/* Moves queued requests onto the wire while the state and the window allow. */
static void pump(cql_conn *c) {
    if (c->pumping) return;
    c->pumping = true;
    while (c->s && !l_empty(&c->queue)) {
        cql_req *q = CONTAINER(c->queue.next, cql_req, wait);
        if (!is_internal(q) && c->state != CQL_CONN_READY) break;
        if (c->state == CQL_CONN_CONNECTING) break;
        if (!send_one(c, q)) break;
    }
    c->pumping = false;
    flush(c);
}

/* ---- submissions --------------------------------------------------------------- */

/* A bound on the frame's size, to refuse an oversized request at once. */
static uint64_t frame_estimate(size_t text_len, const cql_params *p) {
    uint64_t n = 9 + 4 + text_len + 64;
    for (uint16_t i = 0; p && i < p->n_values; i++)
        n += 4 + (uint64_t)(p->values[i].len > 0 ? p->values[i].len : 0);
    if (p) n += 4 + p->paging_state.len;
    return n;
}

static vl_status submit(cql_conn *c, req_kind kind, cql_stmt *stmt, const char *query,
                        const cql_params *p, uint32_t timeout_ms, cql_bind_fn bind,
                        cql_conn_cb cb, void *arg) {
    if (c->state == CQL_CONN_CLOSED) return VL_ECLOSED;
    if (c->state == CQL_CONN_BACKOFF)
        return c->last_error != VL_OK ? c->last_error : VL_EUNAVAILABLE;
    if (!cb || (p && p->n_values > VL_CQL_REQ_VALUES_MAX)) return VL_EINVAL;
    if (p && p->n_values && !p->values) return VL_EINVAL;
    size_t text = kind == K_QUERY ? strlen(query) : stmt->len;
    if (frame_estimate(text, p) > c->send_conf.max_send && c->send_conf.max_send)
        return VL_ETOOBIG;
    if (c->queued >= c->o.queue_max) return VL_EBUSY;
    cql_req *q = req_new(c, kind, timeout_ms);
    if (!q) return VL_ENOMEM;
    q->stmt = stmt;
    q->query = query;
    if (p) {
        q->params = *p;
        if (p->n_values) memcpy(q->values, p->values, p->n_values * sizeof *q->values);
    }
    q->params.values = q->values;
    q->bind = bind;
    q->cb = cb;
    q->arg = arg;
    enqueue(c, q, false);
    pump(c);
    return VL_OK;
}

vl_status vl__cql_conn_query(cql_conn *c, const char *query, const cql_params *p, cql_conn_cb cb,
                         void *arg) {
    if (!query) return VL_EINVAL;
    return submit(c, K_QUERY, NULL, query, p, c->o.request_timeout_ms, NULL, cb, arg);
}

vl_status vl__cql_conn_query_timeout(cql_conn *c, const char *query, const cql_params *p,
                                     uint32_t timeout_ms, cql_conn_cb cb, void *arg) {
    if (!query || timeout_ms == 0) return VL_EINVAL;
    return submit(c, K_QUERY, NULL, query, p, timeout_ms, NULL, cb, arg);
}

vl_status vl__cql_conn_execute(cql_conn *c, cql_stmt *s, const cql_params *p, cql_conn_cb cb,
                           void *arg) {
    if (!s) return VL_EINVAL;
    return submit(c, K_EXECUTE, s, NULL, p, c->o.request_timeout_ms, NULL, cb, arg);
}

vl_status vl__cql_conn_execute_bound(cql_conn *c, cql_stmt *s, const cql_params *p,
                                 cql_bind_fn bind, cql_conn_cb cb, void *arg) {
    if (!s) return VL_EINVAL;
    return submit(c, K_EXECUTE, s, NULL, p, c->o.request_timeout_ms, bind, cb, arg);
}

/* ---- losing a socket ----------------------------------------------------------- */

static void on_sock_closed(uv_handle_t *h) {
    sock *s = h->data;
    vl_buf_free(&s->out[0]);
    vl_buf_free(&s->out[1]);
    vl_buf_free(&s->in);
    free(s);
}

/* Detaches the socket and puts every request back in order for the next one:
 * the connection's own requests are dropped, the user's requests that were on
 * the wire are moved to `lost` (linked through their `wait`), the ones parked
 * on statements go back to the queue (every statement must be prepared
 * again). */
static void detach(cql_conn *c, qlink *lost) {
    sock *s = c->s;
    if (s) {
        c->s = NULL;
        s->conn = NULL;
        uv_close((uv_handle_t *)&s->tcp, on_sock_closed);
    }
    for (qlink *n = c->live.next, *next; n != &c->live; n = next) {
        next = n->next;
        cql_req *q = CONTAINER(n, cql_req, live);
        if (q->where == W_WIRE) c->wire[q->stream] = NULL;
        if (is_internal(q)) {
            drop_internal(c, q);
        } else if (q->where == W_WIRE) {
            q->where = W_NONE;
            q->stream = -1;
            l_push_back(lost, &q->wait);
        } else if (q->where == W_STMT) {
            unqueue(c, q);
            enqueue(c, q, false);
        }
    }
    vl__cql_streams_reset(&c->streams);
    for (qlink *n = c->stmts.next; n != &c->stmts; n = n->next) {
        cql_stmt *st = CONTAINER(n, cql_stmt, node);
        st->prepared = st->preparing = false;
    }
    c->preparing = 0;
    c->auth_rounds = 0;
}

/* Completes every request on `list` (linked through `wait`) with `st`, or,
 * with VL_OK, with each request's own `result`. */
static void fail_list(cql_conn *c, qlink *list, vl_status st) {
    while (!l_empty(list)) {
        cql_req *q = CONTAINER(list->next, cql_req, wait);
        l_unlink(&q->wait);
        q->where = W_NONE;
        complete(c, q, st != VL_OK ? st : q->result, NULL);
    }
}

/* The user's requests waiting for this connection, moved to `out`. */
static void take_queue(cql_conn *c, qlink *out) {
    while (!l_empty(&c->queue)) {
        cql_req *q = CONTAINER(c->queue.next, cql_req, wait);
        unqueue(c, q);
        l_push_back(out, &q->wait);
    }
}

static uint64_t backoff_ms(cql_conn *c) {
    uint64_t d = c->o.reconnect_base_ms;
    for (uint32_t i = 1; i < c->failures && d < c->o.reconnect_cap_ms; i++) d *= 2;
    if (d > c->o.reconnect_cap_ms) d = c->o.reconnect_cap_ms;
    return d / 2 + vl__rng_below(&c->rng, d / 2 + 1);
}

/* A connection attempt failed: back off, and fail what waited for it. */
static void attempt_failed(cql_conn *c, vl_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *detail = fmt_detail(c, fmt, ap);
    va_end(ap);
    qlink lost, waiting;
    l_init(&lost);
    l_init(&waiting);
    c->last_error = st;
    detach(c, &lost);
    take_queue(c, &waiting);
    c->failures++;
    uv_timer_start(&c->conn_timer, on_conn_timer, backoff_ms(c), 0);
    set_state(c, CQL_CONN_BACKOFF, st, detail);
    fail_list(c, &lost, VL_EUNAVAILABLE);
    fail_list(c, &waiting, st);
}

/* A READY connection broke: reconnect at once; requests on the wire fail. */
static void conn_lost(cql_conn *c, vl_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (c->state != CQL_CONN_READY) {
        char buf[sizeof c->detail];
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (handshaking(c)) attempt_failed(c, st, "%s", buf);
        return;
    }
    const char *detail = fmt_detail(c, fmt, ap);
    va_end(ap);
    qlink lost;
    l_init(&lost);
    c->last_error = st;
    detach(c, &lost);
    uint32_t n = 0;
    for (qlink *l = lost.next; l != &lost; l = l->next) n++;
    c->st.lost += n;
    set_state(c, CQL_CONN_CONNECTING, st, detail);
    attempt(c);
    fail_list(c, &lost, VL_EUNAVAILABLE);
}

/* ---- reading ---------------------------------------------------------------------- */

static void on_frame(cql_conn *c, const cql_frame *f);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    sock *s = h->data;
    size_t want = VL_CQL_READ_CHUNK;
    if (s->need > s->in.len && s->need - s->in.len > want) want = s->need - s->in.len;
    uint8_t *p = vl_buf_reserve(&s->in, want);
    *buf = uv_buf_init((char *)p, p ? (unsigned)want : 0);
}

/* Takes every whole frame off the front of the socket's input. */
static void take_frames(cql_conn *c, sock *s) {
    size_t off = 0;
    while (s->conn == c) {
        cql_frame f;
        size_t used = 0;
        cql_err e = vl__cql_frame_extract(&c->recv_conf, s->in.data + off, s->in.len - off, &f, &used);
        if (e != CQL_OK) {
            conn_lost(c, vl__cql_err_status(e), "unreadable frame: %s", vl__cql_err_str(e));
            return;
        }
        if (used == 0) {
            s->need = s->in.len - off >= 9 ? 9 + (size_t)f.length : 0;
            break;
        }
        off += used;
        on_frame(c, &f);
    }
    if (s->conn != c) return; /* detached by a callback: the socket is closing */
    memmove(s->in.data, s->in.data + off, s->in.len - off);
    s->in.len -= off;
}

static void on_read(uv_stream_t *h, ssize_t n, const uv_buf_t *buf) {
    (void)buf;
    sock *s = h->data;
    cql_conn *c = s->conn;
    if (!c || n == 0) return;
    if (n < 0) {
        if (n == UV_EOF) conn_lost(c, VL_EUNAVAILABLE, "connection closed by the server");
        else conn_lost(c, n == UV_ENOBUFS ? VL_ENOMEM : VL_EUNAVAILABLE, "read: %s",
                       uv_strerror((int)n));
        return;
    }
    s->in.len += (size_t)n;
    c->last_rx_us = vl__mono_us();
    take_frames(c, s);
}

/* ---- the handshake ------------------------------------------------------------------ */

static void ready(cql_conn *c) {
    uv_timer_stop(&c->conn_timer);
    c->failures = 0;
    c->recv_conf.version = c->version;
    c->st.ready++;
    c->last_rx_us = vl__mono_us();
    if (c->o.heartbeat_ms && !uv_is_active((uv_handle_t *)&c->hb_timer))
        uv_timer_start(&c->hb_timer, on_hb_timer, c->o.heartbeat_ms, c->o.heartbeat_ms);
    set_state(c, CQL_CONN_READY, VL_OK, "ready");
    pump(c);
}

static void start_prepares(cql_conn *c) {
    c->state = CQL_CONN_PREPARING;
    uint32_t n = 0;
    for (qlink *l = c->stmts.next; l != &c->stmts; l = l->next) n++;
    c->preparing = n;
    set_state(c, CQL_CONN_PREPARING, VL_OK, "preparing statements");
    if (n == 0) {
        ready(c);
        return;
    }
    for (qlink *l = c->stmts.next; l != &c->stmts; l = l->next)
        send_internal(c, K_PREPARE, CONTAINER(l, cql_stmt, node));
}

static void after_use(cql_conn *c) {
    if (c->o.events) {
        set_state(c, CQL_CONN_REGISTER, VL_OK, "registering for events");
        send_internal(c, K_REGISTER, NULL);
    } else {
        start_prepares(c);
    }
}

static void after_auth(cql_conn *c) {
    if (c->use_query) {
        set_state(c, CQL_CONN_KEYSPACE, VL_OK, c->o.keyspace);
        send_internal(c, K_USE, NULL);
    } else {
        after_use(c);
    }
}

static bool lists_version(cql_iter sup, uint8_t version, bool *listed) {
    char want[16];
    snprintf(want, sizeof want, "%u/v%u", version, version);
    cql_slice key;
    cql_iter vals;
    cql_iter it = sup;
    while (vl__cql_multimap_next(&it, &key, &vals))
        if (vl__cql_slice_eq(key, "PROTOCOL_VERSIONS")) {
            *listed = vl__cql_multimap_has(sup, "PROTOCOL_VERSIONS", want);
            return true;
        }
    return false;
}

static void on_supported(cql_conn *c, const cql_response *r) {
    bool listed = true;
    if (lists_version(r->supported, c->version, &listed) && !listed) {
        attempt_failed(c, VL_EUPSTREAM, "the server does not offer protocol v%u", c->version);
        return;
    }
    set_state(c, CQL_CONN_STARTUP, VL_OK, "startup");
    send_internal(c, K_STARTUP, NULL);
}

static void on_authenticate(cql_conn *c, const cql_response *r) {
    if (!c->o.user) {
        attempt_failed(c, VL_EAUTH, "the server requires authentication (%.*s); no credentials given",
                       (int)r->authenticator.len, (const char *)r->authenticator.p);
        return;
    }
    set_state(c, CQL_CONN_AUTH, VL_OK, "authenticating");
    send_internal(c, K_AUTH, NULL);
}

static void on_prepared(cql_conn *c, cql_stmt *s, const cql_response *r) {
    const cql_slice *id = &r->result.prepared.id;
    uint8_t *copy = malloc(id->len ? id->len : 1);
    if (!copy) {
        conn_lost(c, VL_ENOMEM, "out of memory");
        return;
    }
    memcpy(copy, id->p, id->len);
    free(s->id);
    s->id = copy;
    s->id_len = id->len;
    s->prepared = true;
    s->preparing = false;
    while (!l_empty(&s->waiting)) { /* parked requests go out again */
        cql_req *q = CONTAINER(s->waiting.next, cql_req, wait);
        unqueue(c, q);
        enqueue(c, q, false);
    }
    if (c->state == CQL_CONN_PREPARING && --c->preparing == 0) ready(c);
}

static bool is_result(const cql_response *r, int32_t kind) {
    return r->opcode == CQL_OP_RESULT && r->result.kind == kind;
}

/* An ERROR answering one of the connection's own requests. */
static void handshake_error(cql_conn *c, req_kind kind, cql_stmt *s, const cql_response *r) {
    const cql_error *e = &r->error;
    const cql_error_desc *d = vl__cql_error_info(e->code);
    if (kind == K_PREPARE && c->state == CQL_CONN_READY) {
        /* A statement failed to prepare on a working connection: its parked
         * requests get the server's answer. */
        qlink waiting;
        l_init(&waiting);
        while (!l_empty(&s->waiting)) {
            cql_req *q = CONTAINER(s->waiting.next, cql_req, wait);
            unqueue(c, q);
            l_push_back(&waiting, &q->wait);
        }
        while (!l_empty(&waiting)) {
            cql_req *q = CONTAINER(waiting.next, cql_req, wait);
            l_unlink(&q->wait);
            complete(c, q, d->status, r);
        }
        return;
    }
    /* Protocol_error on OPTIONS or STARTUP is how a server refuses a version.
     * With v5 written, this is where an attempt would step down to v4. */
    attempt_failed(c, d->status, "%s answered %s: %.*s", kind == K_PREPARE ? s->query
                   : state_names[c->state], d->name, (int)e->message.len,
                   (const char *)e->message.p);
}

/* The answer to one of the connection's own requests. */
static void handshake_reply(cql_conn *c, cql_req *q, const cql_response *r) {
    req_kind kind = (req_kind)q->kind;
    cql_stmt *s = q->stmt;
    drop_internal(c, q);
    if (kind == K_HEARTBEAT) { /* any answer, even an ERROR, proves the peer alive */
        c->st.heartbeats++;
        return;
    }
    if (r->opcode == CQL_OP_ERROR) {
        handshake_error(c, kind, s, r);
        return;
    }
    if (kind == K_OPTIONS && r->opcode == CQL_OP_SUPPORTED) on_supported(c, r);
    else if (kind == K_STARTUP && r->opcode == CQL_OP_READY) after_auth(c);
    else if (kind == K_STARTUP && r->opcode == CQL_OP_AUTHENTICATE) on_authenticate(c, r);
    else if (kind == K_AUTH && r->opcode == CQL_OP_AUTH_SUCCESS) after_auth(c);
    else if (kind == K_AUTH && r->opcode == CQL_OP_AUTH_CHALLENGE &&
             ++c->auth_rounds < VL_CQL_AUTH_ROUNDS_MAX) send_internal(c, K_AUTH, NULL);
    else if (kind == K_USE && is_result(r, CQL_RESULT_SET_KEYSPACE)) after_use(c);
    else if (kind == K_REGISTER && r->opcode == CQL_OP_READY) start_prepares(c);
    else if (kind == K_PREPARE && is_result(r, CQL_RESULT_PREPARED)) on_prepared(c, s, r);
    else conn_lost(c, VL_EUPSTREAM, "unexpected reply (opcode 0x%02x) in state %s", r->opcode,
                   state_names[c->state]);
}

/* The answer to a user's request. */
static void user_reply(cql_conn *c, cql_req *q, const cql_response *r) {
    if (r->opcode == CQL_OP_ERROR && r->error.code == CQL_ERR_UNPREPARED &&
        q->kind == K_EXECUTE && !q->reprepared) {
        q->reprepared = true;
        c->st.reprepares++;
        q->stmt->prepared = false;
        park(c, q);
        return;
    }
    vl_status st = VL_OK;
    if (r->opcode == CQL_OP_ERROR) st = vl__cql_error_info(r->error.code)->status;
    else if (r->opcode != CQL_OP_RESULT) st = VL_EUPSTREAM;
    complete(c, q, st, r);
}

static void on_frame(cql_conn *c, const cql_frame *f) {
    cql_response r;
    cql_err e = vl__cql_decode_response(f, &r);
    if (f->stream < 0) { /* an event; one that does not decode is ignored */
        if (e == CQL_OK && r.opcode == CQL_OP_EVENT && c->o.on_event) {
            c->st.events++;
            c->o.on_event(c->o.on_event_arg, &r.event);
        }
        return;
    }
    if (e != CQL_OK) {
        conn_lost(c, vl__cql_err_status(e), "undecodable response: %s", vl__cql_err_str(e));
        return;
    }
    cql_stream_state ss = vl__cql_streams_release(&c->streams, f->stream);
    if (ss == CQL_STREAM_ORPHAN) {
        c->st.late_dropped++;
        return;
    }
    if (ss == CQL_STREAM_UNKNOWN) {
        conn_lost(c, VL_EUPSTREAM, "response on stream %d, which has no request", f->stream);
        return;
    }
    cql_req *q = c->wire[f->stream];
    c->wire[f->stream] = NULL;
    q->stream = -1;
    q->where = W_NONE;
    if (is_internal(q)) handshake_reply(c, q, &r);
    else user_reply(c, q, &r);
    if (c->s && c->s->conn == c) pump(c);
}

/* ---- connecting ---------------------------------------------------------------------- */

static void on_connect(uv_connect_t *req, int status) {
    sock *s = CONTAINER(req, sock, connect);
    cql_conn *c = s->conn;
    if (!c) return;
    if (status < 0) {
        attempt_failed(c, VL_EUNAVAILABLE, "connect to %s: %s", c->name, uv_strerror(status));
        return;
    }
    int r = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    if (r < 0) {
        attempt_failed(c, VL_EUNAVAILABLE, "read: %s", uv_strerror(r));
        return;
    }
    set_state(c, CQL_CONN_OPTIONS, VL_OK, "connected");
    send_internal(c, K_OPTIONS, NULL);
}

static void attempt(cql_conn *c) {
    c->st.connects++;
    (void)vl__cql_conf_init(&c->send_conf, c->version);
    c->recv_conf = c->send_conf;
    c->recv_conf.version = 0; /* any version until READY: see the top */
    sock *s = calloc(1, sizeof *s);
    if (!s) {
        attempt_failed(c, VL_ENOMEM, "out of memory");
        return;
    }
    uv_tcp_init(c->loop, &s->tcp);
    s->tcp.data = s;
    s->conn = c;
    c->s = s;
    c->state = CQL_CONN_CONNECTING;
    uv_timer_start(&c->conn_timer, on_conn_timer, c->o.connect_timeout_ms, 0);
    uv_tcp_nodelay(&s->tcp, 1);
    uv_tcp_keepalive(&s->tcp, 1, 30);
    int r = uv_tcp_connect(&s->connect, &s->tcp, (const struct sockaddr *)&c->addr, on_connect);
    if (r < 0) attempt_failed(c, VL_EUNAVAILABLE, "connect: %s", uv_strerror(r));
}

/* ---- timers ---------------------------------------------------------------------------- */

/* Due requests, and the ones an encoding failure left for later. */
static void on_req_timer(uv_timer_t *t) {
    cql_conn *c = t->data;
    qlink due;
    l_init(&due);
    qlink failed;
    l_init(&failed);
    while (!l_empty(&c->failed)) {
        qlink *n = c->failed.next;
        l_unlink(n);
        l_push_back(&failed, n);
    }
    int64_t now = vl__mono_us();
    while (!l_empty(&c->live)) {
        cql_req *q = CONTAINER(c->live.next, cql_req, live);
        if (q->deadline_us > now) break;
        if (is_internal(q)) {
            bool hb = q->kind == K_HEARTBEAT;
            drop_internal(c, q);
            conn_lost(c, VL_ETIMEOUT, "no answer from the server%s in %u ms",
                      hb ? " to a heartbeat" : "", c->o.request_timeout_ms);
            continue;
        }
        if (q->where == W_WIRE) {
            (void)vl__cql_streams_orphan(&c->streams, q->stream);
            c->wire[q->stream] = NULL;
            q->stream = -1;
            q->where = W_NONE;
        } else {
            unqueue(c, q);
        }
        l_unlink(&q->live);
        l_push_back(&due, &q->wait);
        c->st.timeouts++;
    }
    if (c->state == CQL_CONN_READY &&
        vl__cql_streams_orphans(&c->streams) > c->streams.limit / VL_CQL_ORPHAN_FRACTION)
        conn_lost(c, VL_ETIMEOUT, "%u requests unanswered; replacing the connection",
                  vl__cql_streams_orphans(&c->streams));
    fail_list(c, &failed, VL_OK);
    fail_list(c, &due, VL_ETIMEOUT);
    if (c->state != CQL_CONN_CLOSED) arm_req_timer(c);
}

static void on_conn_timer(uv_timer_t *t) {
    cql_conn *c = t->data;
    if (c->state == CQL_CONN_BACKOFF) attempt(c);
    else if (handshaking(c))
        attempt_failed(c, VL_ETIMEOUT, "no connection to %s within %u ms (state %s)", c->name,
                       c->o.connect_timeout_ms, state_names[c->state]);
}

/* Sends a heartbeat if nothing came in since the last tick. */
static void on_hb_timer(uv_timer_t *t) {
    cql_conn *c = t->data;
    if (c->state != CQL_CONN_READY || c->hb_out) return;
    if (vl__mono_us() - c->last_rx_us < (int64_t)c->o.heartbeat_ms * 1000) return;
    c->hb_out = true;
    send_internal(c, K_HEARTBEAT, NULL);
}

void vl__cql_conn_start(cql_conn *c) {
    if (c->state != CQL_CONN_IDLE) return;
    attempt(c);
}

void vl__cql_conn_reconnect_now(cql_conn *c) {
    if (c->state != CQL_CONN_BACKOFF) return;
    uv_timer_stop(&c->conn_timer);
    attempt(c);
}

/* ---- state, stats, close ------------------------------------------------------------------ */

cql_conn_state vl__cql_conn_state_of(const cql_conn *c) { return c->state; }
vl_status vl__cql_conn_last_error(const cql_conn *c) { return c->last_error; }
uint8_t vl__cql_conn_version(const cql_conn *c) { return c->version; }
const char *vl__cql_conn_name(const cql_conn *c) { return c->name; }

void vl__cql_conn_stats_get(const cql_conn *c, cql_conn_stats *out) {
    *out = c->st;
    out->in_flight = vl__cql_streams_in_flight(&c->streams);
    out->orphans = vl__cql_streams_orphans(&c->streams);
    out->queued = c->queued;
}

static void on_timer_closed(uv_handle_t *h) {
    cql_conn *c = h->data;
    if (--c->handles > 0) return;
    void (*closed)(void *) = c->closed;
    void *arg = c->closed_arg;
    free_conn(c);
    if (closed) closed(arg);
}

void vl__cql_conn_close(cql_conn *c, void (*closed)(void *arg), void *arg) {
    if (c->state == CQL_CONN_CLOSED) return;
    c->closed = closed;
    c->closed_arg = arg;
    qlink lost, waiting;
    l_init(&lost);
    l_init(&waiting);
    detach(c, &lost);
    take_queue(c, &waiting);
    fail_list(c, &c->failed, VL_OK);
    set_state(c, CQL_CONN_CLOSED, VL_ECLOSED, "closed");
    uv_timer_stop(&c->req_timer);
    uv_timer_stop(&c->conn_timer);
    uv_timer_stop(&c->hb_timer);
    fail_list(c, &lost, VL_ECLOSED);
    fail_list(c, &waiting, VL_ECLOSED);
    uv_close((uv_handle_t *)&c->req_timer, on_timer_closed);
    uv_close((uv_handle_t *)&c->conn_timer, on_timer_closed);
    uv_close((uv_handle_t *)&c->hb_timer, on_timer_closed);
}
