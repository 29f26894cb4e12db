/*
 * cql_fault.c -- the fault injector of cql_fault.h: a fake CQL v4 endpoint.
 *
 * Owns: the listener, the connections (an array), the prepared-id table,
 * the key-value rows, the pending late answers, the server thread.
 * Threads: the server thread runs serve(); the control functions run on any
 * thread. Everything shared is under `mu`; the thread drops the lock only to
 * sleep in poll().
 *
 * Written from the protocol spec, independently of src/cql: it parses
 * requests and builds responses with its own few helpers, so the client is
 * never checked against its own twin.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cql_fault.h"
#include "cql_fault_wire.h"

#define MAX_CONNS 64
#define MAX_STMTS 32
#define MAX_ROWS 4096
#define MAX_LATE 1024

typedef enum verb { V_OTHER, V_SELECT, V_INSERT, V_DELETE } verb;

typedef struct conn {
    int fd;        /* -1: free slot */
    uint64_t gen;  /* tells a late answer whether its connection still exists */
    vl_buf in;
    bool authed;
    bool registered;
} conn;

typedef struct stmt {
    uint8_t id[16];
    verb v;
    bool known;
} stmt;

typedef struct row {
    uint8_t *key, *val;
    size_t key_len, val_len;
    int64_t ts;          /* write timestamp (µs) */
    int64_t expires_ms;  /* 0: none */
    bool deleted;
} row;

typedef struct late {
    uint64_t gen;
    int slot;
    int64_t due_ms;
    vl_buf frame;
} late;

typedef struct fault {
    uint32_t n;
    cf_target t;
    int32_t code;     /* error_next */
    uint32_t late_ms; /* hang_next */
} fault;

struct cql_fault {
    pthread_mutex_t mu;
    pthread_t thread;
    bool stop;
    int lfd;
    uint16_t port;
    uint64_t next_gen;
    conn conns[MAX_CONNS];
    stmt stmts[MAX_STMTS];
    row rows[MAX_ROWS];
    size_t nrows;
    late lates[MAX_LATE];
    size_t nlate;
    fault err, drop, hang;
    char *user, *password;
    bool refuse_version, refuse_prepare, kick, silent, down;
    cf_topology topo;
    cql_fault_counts counts;
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- reading requests ---------------------------------------------------- */

typedef struct rd {
    const uint8_t *p, *end;
    bool bad;
} rd;

static bool rd_need(rd *r, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) r->bad = true;
    return !r->bad;
}
static uint32_t rd_u8(rd *r) { return rd_need(r, 1) ? *r->p++ : 0; }
static uint32_t rd_u16(rd *r) {
    if (!rd_need(r, 2)) return 0;
    uint32_t v = (uint32_t)r->p[0] << 8 | r->p[1];
    r->p += 2;
    return v;
}
static int32_t rd_i32(rd *r) {
    if (!rd_need(r, 4)) return 0;
    uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    return (int32_t)v;
}
static int64_t rd_i64(rd *r) {
    uint64_t hi = (uint32_t)rd_i32(r);
    uint64_t lo = (uint32_t)rd_i32(r);
    return (int64_t)(hi << 32 | lo);
}
static const uint8_t *rd_raw(rd *r, size_t n) {
    if (!rd_need(r, n)) return NULL;
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

/* A bound [value]: len >= 0, -1 null, -2 unset. */
typedef struct val {
    const uint8_t *p;
    int32_t len;
} val;

static val rd_value(rd *r) {
    val v = {NULL, rd_i32(r)};
    if (v.len > 0) v.p = rd_raw(r, (size_t)v.len);
    return v;
}

/* ---- the rows ----------------------------------------------------------------- */

static row *find_row(cql_fault *f, const uint8_t *k, size_t n, bool create) {
    for (size_t i = 0; i < f->nrows; i++)
        if (f->rows[i].key_len == n && memcmp(f->rows[i].key, k, n) == 0) return &f->rows[i];
    if (!create) return NULL;
    CHECK(f->nrows < MAX_ROWS);
    row *r = &f->rows[f->nrows++];
    memset(r, 0, sizeof *r);
    r->key = malloc(n ? n : 1);
    CHECK(r->key);
    if (n) memcpy(r->key, k, n);
    r->key_len = n;
    r->ts = INT64_MIN;
    return r;
}

static bool row_live(const row *r) {
    return r && !r->deleted && r->val && (r->expires_ms == 0 || r->expires_ms > now_ms());
}

/* INSERT key, value, ttl, ts -- last write wins; a delete wins a tie. */
static void apply_insert(cql_fault *f, const val *v, uint16_t n) {
    if (n < 4 || v[0].len < 0 || v[1].len < 0) return;
    row *r = find_row(f, v[0].p, (size_t)v[0].len, true);
    int64_t ts = v[3].len == 8 ? rd_i64(&(rd){v[3].p, v[3].p + 8, false}) : now_ms() * 1000;
    if (ts <= r->ts) return;
    free(r->val);
    r->val = malloc(v[1].len ? (size_t)v[1].len : 1);
    CHECK(r->val);
    if (v[1].len) memcpy(r->val, v[1].p, (size_t)v[1].len);
    r->val_len = (size_t)v[1].len;
    int32_t ttl = v[2].len == 4 ? rd_i32(&(rd){v[2].p, v[2].p + 4, false}) : 0;
    r->expires_ms = ttl > 0 ? now_ms() + (int64_t)ttl * 1000 : 0;
    r->ts = ts;
    r->deleted = false;
    f->counts.applied++;
}

/* DELETE ts, key */
static void apply_delete(cql_fault *f, const val *v, uint16_t n) {
    if (n < 2 || v[1].len < 0) return;
    row *r = find_row(f, v[1].p, (size_t)v[1].len, true);
    int64_t ts = v[0].len == 8 ? rd_i64(&(rd){v[0].p, v[0].p + 8, false}) : now_ms() * 1000;
    if (ts < r->ts) return;
    r->ts = ts;
    r->deleted = true;
    f->counts.applied++;
}

/* SELECT value, TTL(value) ... WHERE key = ? */
static void r_select(cql_fault *f, vl_buf *b, int16_t stream, const val *v, uint16_t n) {
    row *r = n >= 1 && v[0].len >= 0 ? find_row(f, v[0].p, (size_t)v[0].len, false) : NULL;
    bool live = row_live(r);
    size_t s = begin_frame(b, stream, 0x08);
    w_i32(b, 2);
    w_i32(b, 0x0001);
    w_i32(b, 2);
    w_str(b, "ks");
    w_str(b, "t");
    w_str(b, "value");
    w_u16(b, 0x0003);
    w_str(b, "ttl(value)");
    w_u16(b, 0x0009);
    w_i32(b, live ? 1 : 0);
    if (live) {
        w_bytes(b, r->val, (int32_t)r->val_len);
        if (r->expires_ms) {
            w_i32(b, 4);
            w_i32(b, (int32_t)((r->expires_ms - now_ms() + 999) / 1000));
        } else {
            w_i32(b, -1);
        }
    }
    end_frame(b, s);
}

/* ---- requests ---------------------------------------------------------------- */

static verb verb_of(const uint8_t *q, size_t n) {
    if (n >= 6 && strncasecmp((const char *)q, "SELECT", 6) == 0) return V_SELECT;
    if (n >= 6 && strncasecmp((const char *)q, "INSERT", 6) == 0) return V_INSERT;
    if (n >= 6 && strncasecmp((const char *)q, "DELETE", 6) == 0) return V_DELETE;
    return V_OTHER;
}

static void query_id(const uint8_t *q, size_t n, uint8_t id[16]) {
    uint64_t h1 = 1469598103934665603ull, h2 = 7;
    for (size_t i = 0; i < n; i++) {
        h1 = (h1 ^ q[i]) * 1099511628211ull;
        h2 = h2 * 31 + q[i];
    }
    memcpy(id, &h1, 8);
    memcpy(id + 8, &h2, 8);
}

static void on_prepare(cql_fault *f, vl_buf *b, int16_t stream, rd *r) {
    int32_t n = rd_i32(r);
    const uint8_t *q = n >= 0 ? rd_raw(r, (size_t)n) : NULL;
    f->counts.prepares++;
    if (!q) return;
    if (f->refuse_prepare) {
        r_error(b, stream, 0x2200, "unconfigured table t (injected)", NULL);
        return;
    }
    verb v = verb_of(q, (size_t)n);
    if (v == V_OTHER) {
        r_error(b, stream, 0x2000, "line 1:0 no viable alternative (injected)", NULL);
        return;
    }
    uint8_t id[16];
    query_id(q, (size_t)n, id);
    stmt *slot = NULL;
    for (int i = 0; i < MAX_STMTS && !slot; i++)
        if (!f->stmts[i].known || memcmp(f->stmts[i].id, id, 16) == 0) slot = &f->stmts[i];
    CHECK(slot);
    memcpy(slot->id, id, 16);
    slot->v = v;
    slot->known = true;
    size_t s = begin_frame(b, stream, 0x08);
    w_i32(b, 4);
    w_u16(b, 16);
    w_raw(b, id, 16);
    w_i32(b, 0); w_i32(b, 0); w_i32(b, 0);  /* bind metadata: no columns, no pk */
    w_i32(b, 0x0004); w_i32(b, 0);          /* result metadata: none */
    end_frame(b, s);
}

static bool matches(const fault *ft, verb v) {
    if (ft->n == 0) return false;
    if (ft->t == CF_READS) return v == V_SELECT;
    if (ft->t == CF_WRITES) return v == V_INSERT || v == V_DELETE;
    return true;
}

static void run_execute(cql_fault *f, vl_buf *b, int16_t stream, verb v, const val *vals,
                        uint16_t n) {
    if (v == V_SELECT) {
        r_select(f, b, stream, vals, n);
        return;
    }
    if (v == V_INSERT) apply_insert(f, vals, n);
    else apply_delete(f, vals, n);
    r_void(b, stream);
}

/* Returns false when the connection must be dropped. */
static bool on_execute(cql_fault *f, vl_buf *b, int16_t stream, rd *r, int slot) {
    f->counts.executes++;
    uint32_t idn = rd_u16(r);
    const uint8_t *id = rd_raw(r, idn);
    (void)rd_u16(r); /* consistency */
    uint32_t flags = rd_u8(r);
    val vals[8];
    uint16_t n = 0;
    if (flags & 0x01) {
        n = (uint16_t)rd_u16(r);
        for (uint16_t i = 0; i < n && i < 8; i++) vals[i] = rd_value(r);
    }
    if (r->bad || !id || idn != 16) return false;
    stmt *st = NULL;
    for (int i = 0; i < MAX_STMTS && !st; i++)
        if (f->stmts[i].known && memcmp(f->stmts[i].id, id, 16) == 0) st = &f->stmts[i];
    if (!st) {
        r_error(b, stream, 0x2500, "Prepared query with ID not found (injected forget)", id);
        return true;
    }
    if (matches(&f->drop, st->v)) {
        f->drop.n--;
        f->counts.drops++;
        return false;
    }
    if (matches(&f->err, st->v)) {
        f->err.n--;
        f->counts.errors++;
        r_error(b, stream, f->err.code, "injected error", id);
        return true;
    }
    if (matches(&f->hang, st->v)) {
        f->hang.n--;
        f->counts.hung++;
        if (f->hang.late_ms && f->nlate < MAX_LATE) {
            late *l = &f->lates[f->nlate++];
            memset(l, 0, sizeof *l);
            l->gen = f->conns[slot].gen;
            l->slot = slot;
            l->due_ms = now_ms() + f->hang.late_ms;
            run_execute(f, &l->frame, stream, st->v, vals, n > 8 ? 8 : n);
        }
        return true;
    }
    run_execute(f, b, stream, st->v, vals, n > 8 ? 8 : n);
    return true;
}

static void on_query(cql_fault *f, vl_buf *b, int16_t stream, rd *r) {
    int32_t n = rd_i32(r);
    const uint8_t *q = n >= 0 ? rd_raw(r, (size_t)n) : NULL;
    if (!q) return;
    char text[512];
    snprintf(text, sizeof text, "%.*s", n, (const char *)q);
    if (cf_sys_query(&f->topo, f->port, b, stream, text)) {
        f->counts.system++;
        return;
    }
    if (n >= 4 && strncasecmp((const char *)q, "USE ", 4) == 0) {
        size_t s = begin_frame(b, stream, 0x08);
        w_i32(b, 3);
        w_str(b, "ks");
        end_frame(b, s);
    } else if (n >= 6 && (strncasecmp((const char *)q, "CREATE", 6) == 0 ||
                          strncasecmp((const char *)q, "ALTER ", 6) == 0)) {
        r_void(b, stream);
    } else if (verb_of(q, (size_t)n) != V_OTHER) {
        r_error(b, stream, 0x2200, "this fake endpoint serves DML only as prepared statements", NULL);
    } else {
        r_error(b, stream, 0x2000, "line 1:0 no viable alternative at input (injected)", NULL);
    }
}

static void on_auth(cql_fault *f, conn *c, vl_buf *b, int16_t stream, rd *r) {
    val tok = rd_value(r);
    size_t ul = strlen(f->user), pl = strlen(f->password);
    bool ok = tok.len == (int32_t)(ul + pl + 2) && tok.p[0] == 0 &&
              memcmp(tok.p + 1, f->user, ul) == 0 && tok.p[1 + ul] == 0 &&
              memcmp(tok.p + 2 + ul, f->password, pl) == 0;
    if (!ok) {
        f->counts.auth_failed++;
        r_error(b, stream, 0x0100, "Provided username and/or password are incorrect", NULL);
        return;
    }
    f->counts.auth_ok++;
    c->authed = true;
    size_t s = begin_frame(b, stream, 0x10);
    w_i32(b, -1);
    end_frame(b, s);
}

static void on_handshake(cql_fault *f, vl_buf *b, int16_t stream, uint8_t op) {
    if (f->refuse_version) {
        r_error(b, stream, 0x000A, "Invalid or unsupported protocol version (4) (injected)", NULL);
        return;
    }
    if (op == 0x05) { /* OPTIONS -> SUPPORTED */
        size_t s = begin_frame(b, stream, 0x06);
        w_u16(b, 2);
        w_str(b, "CQL_VERSION"); w_u16(b, 1); w_str(b, "3.4.7");
        w_str(b, "PROTOCOL_VERSIONS"); w_u16(b, 2); w_str(b, "3/v3"); w_str(b, "4/v4");
        end_frame(b, s);
    } else if (f->user) { /* STARTUP -> AUTHENTICATE */
        size_t s = begin_frame(b, stream, 0x03);
        w_str(b, "org.apache.cassandra.auth.PasswordAuthenticator");
        end_frame(b, s);
    } else {
        size_t s = begin_frame(b, stream, 0x02);
        end_frame(b, s);
    }
}

/* One request frame. False: drop the connection. */
static bool on_frame(cql_fault *f, int slot, const uint8_t *h, const uint8_t *body, size_t len,
                     vl_buf *out) {
    conn *c = &f->conns[slot];
    int16_t stream = (int16_t)((uint16_t)h[2] << 8 | h[3]);
    uint8_t op = h[4];
    rd r = {body, body + len, false};
    if (h[0] != 0x04) {
        r_error(out, stream, 0x000A, "Invalid or unsupported protocol version (injected)", NULL);
        return true;
    }
    if (op == 0x05) f->counts.options++;
    if (op == 0x05 || op == 0x01) on_handshake(f, out, stream, op);
    else if (op == 0x0F && f->user) on_auth(f, c, out, stream, &r);
    else if (f->user && !c->authed) r_error(out, stream, 0x000A, "not authenticated", NULL);
    else if (op == 0x07) on_query(f, out, stream, &r);
    else if (op == 0x0B) { /* REGISTER */
        c->registered = true;
        f->counts.registers++;
        size_t s = begin_frame(out, stream, 0x02);
        end_frame(out, s);
    }
    else if (op == 0x09) on_prepare(f, out, stream, &r);
    else if (op == 0x0A) return on_execute(f, out, stream, &r, slot);
    else r_error(out, stream, 0x000A, "unsupported opcode (fake endpoint)", NULL);
    return true;
}

/* ---- the server loop ------------------------------------------------------------ */

static void close_conn(cql_fault *f, int slot) {
    conn *c = &f->conns[slot];
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->in.len = 0;
    c->authed = false;
    c->registered = false;
}

static void send_all(int fd, const vl_buf *b) {
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
        if (n <= 0) return; /* the peer went away; its read side sees it */
        off += (size_t)n;
    }
}

/* Serves the whole frames in a connection's input. */
static void serve_input(cql_fault *f, int slot) {
    conn *c = &f->conns[slot];
    vl_buf out = {0};
    size_t off = 0;
    bool keep = true;
    if (f->silent) { /* read and ignore */
        c->in.len = 0;
        return;
    }
    while (keep && c->in.len - off >= 9) {
        const uint8_t *h = c->in.data + off;
        uint32_t len = (uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8];
        if (c->in.len - off - 9 < len) break;
        keep = on_frame(f, slot, h, h + 9, len, &out);
        off += 9 + len;
    }
    if (out.len && keep) send_all(c->fd, &out);
    vl_buf_free(&out);
    if (!keep) {
        close_conn(f, slot);
        return;
    }
    memmove(c->in.data, c->in.data + off, c->in.len - off);
    c->in.len -= off;
}

static void accept_one(cql_fault *f) {
    int fd = accept(f->lfd, NULL, NULL);
    if (fd < 0) return;
    if (f->down) {
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (int i = 0; i < MAX_CONNS; i++)
        if (f->conns[i].fd < 0) {
            f->conns[i].fd = fd;
            f->conns[i].gen = ++f->next_gen;
            f->counts.connections++;
            return;
        }
    close(fd);
}

static void read_one(cql_fault *f, int slot) {
    conn *c = &f->conns[slot];
    uint8_t *p = vl_buf_reserve(&c->in, 65536);
    CHECK(p);
    ssize_t n = recv(c->fd, p, 65536, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close_conn(f, slot);
        return;
    }
    if (n > 0) {
        c->in.len += (size_t)n;
        serve_input(f, slot);
    }
}

static void send_lates(cql_fault *f) {
    int64_t now = now_ms();
    for (size_t i = 0; i < f->nlate;) {
        late *l = &f->lates[i];
        if (l->due_ms > now) {
            i++;
            continue;
        }
        conn *c = &f->conns[l->slot];
        if (c->fd >= 0 && c->gen == l->gen) {
            send_all(c->fd, &l->frame);
            f->counts.late++;
        }
        vl_buf_free(&l->frame);
        f->lates[i] = f->lates[--f->nlate];
    }
}

static void *serve(void *arg) {
    cql_fault *f = arg;
    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        if (f->kick) {
            for (int i = 0; i < MAX_CONNS; i++) close_conn(f, i);
            f->kick = false;
        }
        struct pollfd pf[MAX_CONNS + 1];
        int slots[MAX_CONNS + 1], n = 0;
        pf[n] = (struct pollfd){f->lfd, POLLIN, 0};
        slots[n++] = -1;
        for (int i = 0; i < MAX_CONNS; i++)
            if (f->conns[i].fd >= 0) {
                pf[n] = (struct pollfd){f->conns[i].fd, POLLIN, 0};
                slots[n++] = i;
            }
        pthread_mutex_unlock(&f->mu);
        int r = poll(pf, (nfds_t)n, 5);
        pthread_mutex_lock(&f->mu);
        for (int i = 0; r > 0 && i < n; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (slots[i] < 0) accept_one(f);
            else if (f->conns[slots[i]].fd == pf[i].fd) read_one(f, slots[i]);
        }
        send_lates(f);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* ---- the control API -------------------------------------------------------------- */

cql_fault *cql_fault_start(void) {
    cql_fault *f = calloc(1, sizeof *f);
    CHECK(f);
    pthread_mutex_init(&f->mu, NULL);
    for (int i = 0; i < MAX_CONNS; i++) f->conns[i].fd = -1;
    f->topo = (cf_topology){.self = {0, "dc1", "rack1", "0", 1}, .repl_class = "SimpleStrategy",
                            .rf = 1};
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(f->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(f->lfd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(f->lfd, 64) == 0);
    socklen_t al = sizeof a;
    CHECK(getsockname(f->lfd, (struct sockaddr *)&a, &al) == 0);
    f->port = ntohs(a.sin_port);
    CHECK(pthread_create(&f->thread, NULL, serve, f) == 0);
    return f;
}

uint16_t cql_fault_port(const cql_fault *f) { return f->port; }

void cql_fault_stop(cql_fault *f) {
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    for (int i = 0; i < MAX_CONNS; i++) {
        close_conn(f, i);
        vl_buf_free(&f->conns[i].in);
    }
    close(f->lfd);
    for (size_t i = 0; i < f->nrows; i++) {
        free(f->rows[i].key);
        free(f->rows[i].val);
    }
    for (size_t i = 0; i < f->nlate; i++) vl_buf_free(&f->lates[i].frame);
    free(f->user);
    free(f->password);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

#define LOCKED(f, ...)                  \
    do {                                \
        pthread_mutex_lock(&(f)->mu);   \
        __VA_ARGS__;                    \
        pthread_mutex_unlock(&(f)->mu); \
    } while (0)

void cql_fault_error_next(cql_fault *f, cf_target t, uint32_t n, int32_t code) {
    LOCKED(f, f->err = (fault){n, t, code, 0});
}
void cql_fault_drop_next(cql_fault *f, cf_target t, uint32_t n) {
    LOCKED(f, f->drop = (fault){n, t, 0, 0});
}
void cql_fault_hang_next(cql_fault *f, cf_target t, uint32_t n, uint32_t late_ms) {
    LOCKED(f, f->hang = (fault){n, t, 0, late_ms});
}
void cql_fault_forget_prepared(cql_fault *f) {
    LOCKED(f, memset(f->stmts, 0, sizeof f->stmts));
}
void cql_fault_require_auth(cql_fault *f, const char *user, const char *password) {
    LOCKED(f, {
        free(f->user);
        free(f->password);
        f->user = user ? strdup(user) : NULL;
        f->password = user ? strdup(password) : NULL;
    });
}
void cql_fault_refuse_version(cql_fault *f, bool on) { LOCKED(f, f->refuse_version = on); }
void cql_fault_topology(cql_fault *f, const cf_topology *t) { LOCKED(f, f->topo = *t); }
void cql_fault_silence(cql_fault *f, bool on) { LOCKED(f, f->silent = on); }
void cql_fault_down(cql_fault *f, bool on) {
    LOCKED(f, f->down = on);
    if (on) cql_fault_kick(f);
}

/* Queued like a late answer, due now, so that the server thread sends it. */
void cql_fault_event(cql_fault *f, const char *type, const char *change, uint16_t port) {
    vl_buf ev = {0};
    size_t s = begin_frame(&ev, -1, 0x0C);
    w_str(&ev, type);
    w_str(&ev, change);
    w_u8(&ev, 4);
    w_raw(&ev, "\x7f\x00\x00\x01", 4);
    w_i32(&ev, port);
    end_frame(&ev, s);
    LOCKED(f, {
        for (int i = 0; i < MAX_CONNS && f->nlate < MAX_LATE; i++) {
            if (f->conns[i].fd < 0 || !f->conns[i].registered) continue;
            late *l = &f->lates[f->nlate++];
            memset(l, 0, sizeof *l);
            l->gen = f->conns[i].gen;
            l->slot = i;
            l->due_ms = now_ms();
            CHECK_OK(vl_buf_append(&l->frame, ev.data, ev.len));
        }
    });
    vl_buf_free(&ev);
}
void cql_fault_refuse_prepare(cql_fault *f, bool on) { LOCKED(f, f->refuse_prepare = on); }
void cql_fault_kick(cql_fault *f) {
    LOCKED(f, f->kick = true);
    for (;;) { /* wait until the thread has done it */
        bool done;
        LOCKED(f, done = !f->kick);
        if (done) return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}
void cql_fault_counts_get(cql_fault *f, cql_fault_counts *out) { LOCKED(f, *out = f->counts); }

vl_status cql_fault_get(cql_fault *f, const void *key, size_t key_len, vl_buf *out) {
    vl_status st = VL_ENOTFOUND;
    LOCKED(f, {
        row *r = find_row(f, key, key_len, false);
        if (row_live(r)) st = out ? vl_buf_append(out, r->val, r->val_len) : VL_OK;
    });
    return st;
}
